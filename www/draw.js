// The drawing pad: mouse, touch and pen through pointer events, and the keyboard (arrows move
// the pen, Space puts it down or lifts it, Delete clears). Knows nothing about proofs: it tells
// `onChange` after every stroke and keeps a version number that grows with each change, so the
// page can tell whether the canvas still shows what was proved.

const STEP = 14;       // pixels (of 280) per arrow key press; Shift: a fifth of it
const LINE_WIDTH = 20; // pixels of 280, like a thick pen on MNIST's 20x20 box

export function createPad(canvas, cursor, onChange, onPen = () => {}) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let colours = palette();
  let version = 0;
  let inked = false;
  let last = null;
  let drawing = false;
  const pen = { x: canvas.width / 2, y: canvas.height / 2, down: false };

  function palette() {
    // Ink and paper follow the colour scheme; preprocessing reads either polarity the same way.
    const light = window.matchMedia && window.matchMedia('(prefers-color-scheme: light)').matches;
    return light ? { paper: '#fff', ink: '#111' } : { paper: '#000', ink: '#fff' };
  }

  function changed() {
    version++;
    onChange();
  }

  function blank() {
    colours = palette();
    ctx.fillStyle = colours.paper;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    inked = false;
    pen.down = false;
  }

  function clear() {
    blank();
    showCursor();
    changed();
  }

  function stroke(a, b) {
    ctx.strokeStyle = colours.ink;
    ctx.lineWidth = LINE_WIDTH;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    if (a.x === b.x && a.y === b.y) {
      // A tap: canvases draw nothing for a zero-length line, whatever its caps.
      ctx.fillStyle = colours.ink;
      ctx.arc(a.x, a.y, LINE_WIDTH / 2, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.moveTo(a.x, a.y);
      ctx.lineTo(b.x, b.y);
      ctx.stroke();
    }
    inked = true;
    changed();
  }

  function point(e) {
    const r = canvas.getBoundingClientRect();
    return { x: (e.clientX - r.left) * (canvas.width / r.width), y: (e.clientY - r.top) * (canvas.height / r.height) };
  }
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    canvas.setPointerCapture(e.pointerId);
    last = point(e);
    stroke(last, last);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const p = point(ev);
      stroke(last, p);
      last = p;
    }
  });
  for (const type of ['pointerup', 'pointercancel', 'pointerleave']) {
    canvas.addEventListener(type, () => { drawing = false; last = null; });
  }

  // The keyboard pen's position, drawn as a ring over the canvas while it has focus.
  function showCursor() {
    if (!cursor) return;
    const focused = document.activeElement === canvas;
    cursor.hidden = !focused;
    if (!focused) return;
    const r = canvas.getBoundingClientRect();
    const scale = r.width / canvas.width;
    cursor.style.left = `${canvas.offsetLeft + pen.x * scale}px`;
    cursor.style.top = `${canvas.offsetTop + pen.y * scale}px`;
    cursor.style.width = cursor.style.height = `${LINE_WIDTH * scale}px`;
    cursor.classList.toggle('down', pen.down);
  }
  canvas.addEventListener('focus', showCursor);
  canvas.addEventListener('blur', showCursor);
  window.addEventListener('resize', showCursor);
  canvas.addEventListener('keydown', (e) => {
    const step = e.shiftKey ? STEP / 5 : STEP;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[e.key]) {
      const from = { x: pen.x, y: pen.y };
      pen.x = Math.min(canvas.width, Math.max(0, pen.x + moves[e.key][0]));
      pen.y = Math.min(canvas.height, Math.max(0, pen.y + moves[e.key][1]));
      if (pen.down) stroke(from, pen);
    } else if (e.key === ' ') {
      pen.down = !pen.down;
      if (pen.down) stroke(pen, pen);
      onPen(pen.down);
    } else if (e.key === 'Delete' || e.key === 'Backspace') {
      clear();
    } else {
      return;
    }
    e.preventDefault();
    showCursor();
  });

  blank();
  return {
    clear,
    get version() { return version; },
    get inked() { return inked; },
    rgba() {
      const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      return { width: canvas.width, height: canvas.height, rgba: new Uint8Array(img.data.buffer) };
    },
  };
}

// Paints 784 grey levels (ink = 255) into a 28x28 canvas, in the pad's colours.
export function paintPixels(canvas, pixels) {
  const c = canvas.getContext('2d');
  const img = c.createImageData(28, 28);
  const light = window.matchMedia && window.matchMedia('(prefers-color-scheme: light)').matches;
  for (let i = 0; i < 784; i++) {
    const v = light ? 255 - pixels[i] : pixels[i];
    img.data.set([v, v, v, 255], i * 4);
  }
  c.putImageData(img, 0, 0);
}

export function blankPixels(canvas) {
  paintPixels(canvas, new Uint8Array(784));
}
