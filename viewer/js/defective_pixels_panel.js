// The defective-pixel panel (PROTOCOL.md 10.10): the scan's counts by kind from the status, and, on "Show map", the
// map from get_defective_pixels drawn as a detector-shaped overlay (the viewer shows no projection image, so the
// map gets its own small detector frame: one dot per masked pixel, coloured by kind) with the first pixels listed.
// Values go into elements marked data-testid, so that tests read them without parsing the layout.

// Bits of a pixel's kind, in the order drawn (a pixel of several kinds takes the first colour).
export const DEFECT_KINDS = [
  { bit: 8, name: "detector_mask", colour: "#4aa3ff" },
  { bit: 1, name: "dead", colour: "#ff4040" },
  { bit: 2, name: "hot", colour: "#ffd040" },
  { bit: 4, name: "noisy", colour: "#c060ff" },
];
const LISTED = 20;              // pixels listed under the map
const MAP_WIDTH_PX = 256;       // the overlay's width on the page; its height follows the detector's aspect

// "dead, hot" for a kind bit set.
export function kindNames(kind) {
  return DEFECT_KINDS.filter((k) => (kind & k.bit) !== 0).map((k) => k.name).join(", ");
}

export class DefectivePixelsPanel {
  // hooks: request(message) -> Promise<reply>
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    this.map = null;  // the newest get_defective_pixels result
    this.element("defects-show").addEventListener("click", () => this.show());
  }

  element(testId) {
    return this.root.querySelector(`[data-testid="${testId}"]`);
  }

  updateFromStatus(status) {
    const counts = status.scan?.defective_pixels;
    const enabled = status.processing?.defective_pixels?.enabled;
    this.element("defects-enabled").textContent = enabled === undefined ? "–" : enabled ? "on" : "off";
    for (const name of ["dead", "hot", "noisy", "detector_mask", "total"]) {
      this.element(`defects-${name}`).textContent = counts ? String(counts[name]) : "–";
    }
  }

  async show() {
    const reply = await this.hooks.request({ type: "get_defective_pixels" });
    const error = this.element("defects-error");
    if (!reply.ok) {
      error.textContent = `${reply.error.code}: ${reply.error.message}`;
      return;
    }
    error.textContent = reply.result.built ? "" : "no map yet (before the first projection, or detection off)";
    this.map = reply.result;
    this.draw();
  }

  draw() {
    const { rows, cols, pixels, truncated } = this.map;
    const canvas = this.element("defects-map");
    canvas.hidden = rows === 0 || cols === 0;
    if (canvas.hidden) return;
    canvas.width = MAP_WIDTH_PX;
    canvas.height = Math.max(1, Math.round(MAP_WIDTH_PX * rows / cols));
    const context = canvas.getContext("2d");
    context.fillStyle = "#000";
    context.fillRect(0, 0, canvas.width, canvas.height);
    const sx = canvas.width / cols, sy = canvas.height / rows;
    const dot = Math.max(2, Math.ceil(Math.max(sx, sy)));  // every pixel visible however small the scale
    for (const p of pixels) {
      context.fillStyle = (DEFECT_KINDS.find((k) => (p.kind & k.bit) !== 0) ?? DEFECT_KINDS[1]).colour;
      context.fillRect(Math.floor(p.col * sx), Math.floor(p.row * sy), dot, dot);
    }
    canvas.dataset.pixels = String(pixels.length);
    const list = this.element("defects-list");
    list.replaceChildren(...pixels.slice(0, LISTED).map((p) => {
      const item = document.createElement("li");
      item.textContent = `row ${p.row}, col ${p.col}: ${kindNames(p.kind)}`;
      return item;
    }));
    const more = pixels.length - Math.min(pixels.length, LISTED);
    this.element("defects-more").textContent =
      more > 0 || truncated ? `… ${more} more${truncated ? " (the daemon listed the first 65536)" : ""}` : "";
  }
}
