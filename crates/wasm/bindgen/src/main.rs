//! `zkmnist-bindgen INPUT.wasm OUT_DIR`: what `wasm-bindgen --target web --out-name zkmnist
//! --out-dir OUT_DIR INPUT.wasm` does, every other option at the command line's default (set
//! below one by one, so that the output is byte for byte the command line's).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir] = args.as_slice() else {
        eprintln!("usage: zkmnist-bindgen INPUT.wasm OUT_DIR");
        return ExitCode::from(2);
    };
    match generate(input, out_dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: wasm-bindgen on {input}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn generate(input: &str, out_dir: &str) -> anyhow::Result<()> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen.web(true)?;
    // `reference_types` is deprecated (detected from the module), but the command line still
    // sets it; so does this.
    #[allow(deprecated)]
    bindgen
        .input_path(input)
        .debug(false)
        .demangle(true)
        .keep_lld_exports(false)
        .keep_debug(false)
        .split_debug_info(false)
        .remove_name_section(false)
        .remove_producers_section(false)
        .typescript(true)
        .omit_imports(false)
        .omit_default_module_path(false)
        .split_linked_modules(false)
        .js_string_builtins(false)
        .ts_typed_array_buffers(false)
        .reference_types(false)
        .reset_state_function(false)
        .force_enable_abort_handler(false)
        .out_name("zkmnist");
    bindgen.generate(out_dir)
}
