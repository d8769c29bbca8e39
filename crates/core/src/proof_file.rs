//! The proof file (`zkmnist-proof/1`, the interface other tools and the page use) and the
//! opening file (`zkmnist-opening/1`, the private salt and pixels, kept apart).
//!
//! ```json
//! {"format": "zkmnist-proof/1", "vk_digest": "0x..", "setup": "dev-insecure" | "ptau:<hash>",
//!  "digit": 7, "public_inputs": ["0x<commitment>", "0x<digit>", "0x<context>"],
//!  "proof": "0x..", "calldata": "0x.."}
//! ```
//!
//! Field elements are 32-byte big-endian hex. `calldata` is the exact input of the generated
//! Solidity verifier (the three public inputs, 32 bytes each, then the proof); `zkmnist prove`
//! and the page always write it, and a reader that finds it checks it agrees with the rest.

use halo2curves::bn256::Fr;
use halo2curves::ff::Field;
use serde::{Deserialize, Serialize};
use zkmnist_circuit::PUBLIC_INPUTS;
use zkmnist_circuit::PublicInputs;
use zkmnist_circuit::field::{from_hex, to_hex};
use zkmnist_model::spec::IMAGE_PIXELS;

/// Format tag of proof files.
pub const PROOF_FORMAT: &str = "zkmnist-proof/1";
/// Format tag of opening files.
pub(crate) const OPENING_FORMAT: &str = "zkmnist-opening/1";
/// The largest proof or opening file read: valid ones are a few KB (a proof file about 13 KB,
/// an opening about 2 KB), so anything larger is refused before it is parsed.
pub const MAX_FILE_BYTES: usize = 256 * 1024;

/// A malformed proof or opening file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Not JSON of the expected shape.
    #[error("not a zkmnist {what} file: {reason}")]
    Json {
        /// "proof" or "opening".
        what: &'static str,
        /// serde's message.
        reason: String,
    },
    /// A version this build does not read.
    #[error("{what} file format is {found:?}, this build reads {expected:?}")]
    Format {
        /// "proof" or "opening".
        what: &'static str,
        /// The tag found.
        found: String,
        /// The tag expected.
        expected: &'static str,
    },
    /// Larger than any valid file.
    #[error(
        "{what} file of {len} bytes refused: valid ones are a few KB (limit {MAX_FILE_BYTES} bytes)"
    )]
    TooLarge {
        /// "proof" or "opening".
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// A key appears twice in one JSON object.
    #[error(
        "not a zkmnist {what} file: key {key:?} appears twice (a reader that keeps the first and one that keeps the last would disagree)"
    )]
    DuplicateKey {
        /// "proof" or "opening".
        what: &'static str,
        /// The repeated key.
        key: String,
    },
    /// A field's value is wrong.
    #[error("{field}: {reason}")]
    Field {
        /// The JSON field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// A proof file as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofFile {
    /// [`PROOF_FORMAT`].
    pub format: String,
    /// Digest of the verifying key the proof is for.
    pub vk_digest: String,
    /// Which trusted setup the keys come from.
    pub setup: String,
    /// The proven digit (also `public_inputs[1]`).
    pub digit: u8,
    /// `[image_commitment, digit, context]`.
    pub public_inputs: Vec<String>,
    /// The proof bytes.
    pub proof: String,
    /// Public inputs then proof, as the Solidity verifier takes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calldata: Option<String>,
}

/// A proof file whose fields are all well-formed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedProof {
    /// What the proof states.
    pub inputs: PublicInputs,
    /// The proof bytes.
    pub proof: Vec<u8>,
    /// The setup label.
    pub setup: String,
    /// The verifying-key digest.
    pub vk_digest: String,
}

impl FileError {
    /// A short name for what is wrong, for front ends that word it themselves (the page):
    /// `json`, `format`, `too_large`, `duplicate_key` or `field`.
    pub fn kind(&self) -> &'static str {
        match self {
            FileError::Json { .. } => "json",
            FileError::Format { .. } => "format",
            FileError::TooLarge { .. } => "too_large",
            FileError::DuplicateKey { .. } => "duplicate_key",
            FileError::Field { .. } => "field",
        }
    }
}

/// Refuses oversized texts and JSON objects with a repeated key, at any depth: serde keeps the
/// last of two equal keys, other parsers the first, and both must see the same file.
fn precheck(what: &'static str, text: &str) -> Result<(), FileError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(FileError::TooLarge {
            what,
            len: text.len(),
        });
    }
    let json = |e: serde_json::Error| FileError::Json {
        what,
        reason: e.to_string(),
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let mut found = None;
    serde::de::DeserializeSeed::deserialize(UniqueKeys(&mut found), &mut de).map_err(json)?;
    de.end().map_err(json)?;
    match found {
        Some(key) => Err(FileError::DuplicateKey { what, key }),
        None => Ok(()),
    }
}

/// Walks any JSON value; records the first key repeated within one object.
struct UniqueKeys<'a>(&'a mut Option<String>);

impl<'de> serde::de::DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(UniqueKeys(self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) && self.0.is_none() {
                *self.0 = Some(key);
            }
            map.next_value_seed(UniqueKeys(self.0))?;
        }
        Ok(())
    }
}

fn field_err(field: &'static str) -> impl Fn(String) -> FileError {
    move |reason| FileError::Field { field, reason }
}

/// `0x`-prefixed hex bytes.
fn parse_bytes(field: &'static str, s: &str) -> Result<Vec<u8>, FileError> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| field_err(field)("must start with 0x".into()))?;
    hex::decode(digits).map_err(|e| field_err(field)(format!("not hex: {e}")))
}

impl ProofFile {
    /// Builds the file for a proof.
    pub fn new(vk_digest: String, setup: String, inputs: &PublicInputs, proof: &[u8]) -> Self {
        let fields = inputs.fields();
        ProofFile {
            format: PROOF_FORMAT.into(),
            vk_digest,
            setup,
            digit: inputs.digit,
            public_inputs: fields.iter().map(to_hex).collect(),
            proof: format!("0x{}", hex::encode(proof)),
            calldata: Some(format!(
                "0x{}",
                hex::encode(crate::evm::calldata(&fields, proof))
            )),
        }
    }

    /// Parses and checks a proof file's text.
    pub fn parse(text: &str) -> Result<ParsedProof, FileError> {
        precheck("proof", text)?;
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| FileError::Json {
            what: "proof",
            reason: e.to_string(),
        })?;
        // Check the version first, so a future format gets a version error, not a shape error.
        let Some(found) = value.get("format").and_then(|f| f.as_str()) else {
            return Err(FileError::Json {
                what: "proof",
                reason: "it has no \"format\" field (a zkmnist proof file says \"format\": \"zkmnist-proof/1\")".into(),
            });
        };
        if found != PROOF_FORMAT {
            return Err(FileError::Format {
                what: "proof",
                found: found.into(),
                expected: PROOF_FORMAT,
            });
        }
        let file: ProofFile = serde_json::from_value(value).map_err(|e| FileError::Json {
            what: "proof",
            reason: e.to_string(),
        })?;
        if file.public_inputs.len() != PUBLIC_INPUTS {
            return Err(field_err("public_inputs")(format!(
                "{} values, expected {PUBLIC_INPUTS} (image_commitment, digit, context)",
                file.public_inputs.len()
            )));
        }
        let mut public_inputs = [Fr::ZERO; PUBLIC_INPUTS];
        for (slot, s) in public_inputs.iter_mut().zip(&file.public_inputs) {
            *slot = from_hex(s).map_err(field_err("public_inputs"))?;
        }
        let inputs = PublicInputs::from_fields(&public_inputs)
            .filter(|i| i.digit == file.digit)
            .ok_or_else(|| {
                field_err("digit")(format!(
                    "{} does not match public_inputs[1] = {}",
                    file.digit, file.public_inputs[1]
                ))
            })?;
        let proof = parse_bytes("proof", &file.proof)?;
        if proof.is_empty() {
            return Err(field_err("proof")("is empty".into()));
        }
        from_hex(&file.vk_digest).map_err(field_err("vk_digest"))?;
        if let Some(stated) = &file.calldata
            && parse_bytes("calldata", stated)? != crate::evm::calldata(&public_inputs, &proof)
        {
            return Err(field_err("calldata")(
                "is not public_inputs followed by proof".into(),
            ));
        }
        Ok(ParsedProof {
            inputs,
            proof,
            setup: file.setup,
            vk_digest: file.vk_digest,
        })
    }
}

/// The private opening of a commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningFile {
    /// [`OPENING_FORMAT`].
    pub format: String,
    /// The commitment this opens.
    pub image_commitment: String,
    /// The salt.
    pub salt: String,
    /// The 784 pixels, row-major, as hex.
    pub pixels: String,
}

impl OpeningFile {
    /// Builds the opening of `pixels` with `salt`, whose commitment the caller computed.
    pub fn new(pixels: &[u8; IMAGE_PIXELS], salt: Fr, image_commitment: Fr) -> Self {
        OpeningFile {
            format: OPENING_FORMAT.into(),
            image_commitment: to_hex(&image_commitment),
            salt: to_hex(&salt),
            pixels: format!("0x{}", hex::encode(pixels)),
        }
    }

    /// Parses an opening; returns the pixels and salt after checking they hash to the
    /// commitment the file states.
    pub fn parse(text: &str) -> Result<([u8; IMAGE_PIXELS], Fr, Fr), FileError> {
        precheck("opening", text)?;
        let file: OpeningFile = serde_json::from_str(text).map_err(|e| FileError::Json {
            what: "opening",
            reason: e.to_string(),
        })?;
        if file.format != OPENING_FORMAT {
            return Err(FileError::Format {
                what: "opening",
                found: file.format,
                expected: OPENING_FORMAT,
            });
        }
        let pixels: [u8; IMAGE_PIXELS] =
            parse_bytes("pixels", &file.pixels)?
                .try_into()
                .map_err(|v: Vec<u8>| {
                    field_err("pixels")(format!("{} bytes, expected {IMAGE_PIXELS}", v.len()))
                })?;
        let salt = from_hex(&file.salt).map_err(field_err("salt"))?;
        let stated = from_hex(&file.image_commitment).map_err(field_err("image_commitment"))?;
        Ok((pixels, salt, stated))
    }
}
