// VolumeRenderer: draws the live 3D preview into a canvas with WebGL2, by ray marching a 3D texture (R32F, values in
// 1/pixel) in one full-screen pass. Two modes:
//   "mip"  maximum-intensity projection: the largest value along each ray, through the display window, gray;
//   "iso"  iso-surface: the first point along each ray whose windowed value reaches `iso` (0..1), shaded by the
//          volume's gradient there (Lambert, light from the viewer).
// Geometry (PROTOCOL.md 8): world X = +x (voxel columns), world Y = up (detector row 0 at the top), world Z = +y
// (voxel row 0 is +y); the box keeps the volume's proportions. The view is orthographic, rotated by yaw (about the
// vertical) and pitch (about the screen's horizontal): rotate(dx, dy) from a drag. The camera looks along -Z of
// the view frame: with yaw = pitch = 0 the screen shows X to the right and Y up, the beam's view at angle 0.
// render() draws one frame and returns its CPU-side time; the caller measures the frame rate.

const VERTEX_SHADER = `#version 300 es
out vec2 v_ndc;
void main() {
  // One triangle that covers the screen.
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2)) * 2.0 - 1.0;
  v_ndc = p;
  gl_Position = vec4(p, 0.0, 1.0);
}`;

const FRAGMENT_SHADER = `#version 300 es
precision highp float;
precision highp sampler3D;
in vec2 v_ndc;
out vec4 color;
uniform sampler3D u_volume;
uniform mat3 u_rotation;   // view frame -> world
uniform vec3 u_extent;     // half sides of the box, world units (the longest is 1)
uniform vec2 u_aspect;     // screen units per NDC unit, x and y
uniform vec2 u_window;     // display window, 1/pixel
uniform int u_mode;        // 0 MIP, 1 iso-surface
uniform float u_iso;       // iso level in the window, 0..1
uniform int u_steps;
uniform vec3 u_texel;      // one voxel in texture coordinates

vec3 texcoord(vec3 p) {
  // s along +X (columns), t along -Z (voxel rows, row 0 at +y), r along -Y (layers, layer 0 at the top)
  return vec3(0.5 + 0.5 * p.x / u_extent.x, 0.5 - 0.5 * p.z / u_extent.z, 0.5 - 0.5 * p.y / u_extent.y);
}
float windowed(vec3 t) {
  float v = texture(u_volume, t).r;
  return clamp((v - u_window.x) / max(u_window.y - u_window.x, 1e-12), 0.0, 1.0);
}

void main() {
  vec3 origin = u_rotation * vec3(v_ndc * u_aspect * 1.8, 2.0);
  vec3 dir = u_rotation * vec3(0.0, 0.0, -1.0);
  // Slab intersection with the box [-extent, extent].
  vec3 inv = 1.0 / dir;
  vec3 t0 = (-u_extent - origin) * inv, t1 = (u_extent - origin) * inv;
  vec3 tmin = min(t0, t1), tmax = max(t0, t1);
  float enter = max(max(tmin.x, tmin.y), tmin.z), leave = min(min(tmax.x, tmax.y), tmax.z);
  if (leave <= max(enter, 0.0)) {
    color = vec4(0.08, 0.09, 0.11, 1.0);
    return;
  }
  float step = (leave - enter) / float(u_steps);
  float best = 0.0;
  for (int k = 0; k < 2048; ++k) {
    if (k >= u_steps) break;
    vec3 p = origin + dir * (enter + (float(k) + 0.5) * step);
    vec3 t = texcoord(p);
    float v = windowed(t);
    if (u_mode == 0) {
      best = max(best, v);
    } else if (v >= u_iso) {
      vec3 g = vec3(windowed(t + vec3(u_texel.x, 0, 0)) - windowed(t - vec3(u_texel.x, 0, 0)),
                    windowed(t + vec3(0, u_texel.y, 0)) - windowed(t - vec3(0, u_texel.y, 0)),
                    windowed(t + vec3(0, 0, u_texel.z)) - windowed(t - vec3(0, 0, u_texel.z)));
      // texture axes -> world axes: s = +X, t = -Z, r = -Y; the gradient points inward, the normal outward
      vec3 n = -vec3(g.x, -g.z, -g.y);
      float shade = length(n) > 1e-6 ? abs(dot(normalize(n), -dir)) : 1.0;
      color = vec4(vec3(0.95, 0.78, 0.45) * (0.25 + 0.75 * shade), 1.0);
      return;
    }
  }
  if (u_mode == 0) {
    color = vec4(vec3(best), 1.0);
  } else {
    color = vec4(0.08, 0.09, 0.11, 1.0);
  }
}`;

function compile(gl, type, source) {
  const shader = gl.createShader(type);
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    throw new Error(`3D preview shader: ${gl.getShaderInfoLog(shader)}`);
  }
  return shader;
}

// Rotation matrix (column-major, for uniformMatrix3fv): yaw about world Y, then pitch about the screen's X.
export function viewRotation(yaw, pitch) {
  const cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
  // R = Ry(yaw) * Rx(pitch): columns are the view frame's axes in world coordinates.
  return new Float32Array([cy, 0, -sy, sy * sp, cp, cy * sp, sy * cp, -sp, cy * cp]);
}

export class VolumeRenderer {
  // Throws an Error when the canvas has no WebGL2 context (the pane then says so).
  constructor(canvas) {
    this.canvas = canvas;
    const gl = canvas.getContext("webgl2", { antialias: false, preserveDrawingBuffer: true });
    if (!gl) throw new Error("this browser offers no WebGL2: the 3D preview cannot be drawn");
    this.gl = gl;
    this.linear = gl.getExtension("OES_texture_float_linear") !== null;
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX_SHADER));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT_SHADER));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new Error(`3D preview program: ${gl.getProgramInfoLog(program)}`);
    }
    this.program = program;
    this.uniforms = {};
    for (const name of ["u_volume", "u_rotation", "u_extent", "u_aspect", "u_window", "u_mode", "u_iso", "u_steps",
                        "u_texel"]) {
      this.uniforms[name] = gl.getUniformLocation(program, name);
    }
    this.vao = gl.createVertexArray();
    this.texture = null;
    this.shape = null;  // [layers, rows, cols]
    this.yaw = -0.5;
    this.pitch = 0.35;
    this.mode = "mip";
    this.iso = 0.5;
    this.window = [0, 1];
  }

  // Allocates the texture for a [layers, rows, cols] volume (values zero).
  setShape(shape) {
    const gl = this.gl;
    if (this.texture) gl.deleteTexture(this.texture);
    this.texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_3D, this.texture);
    const filter = this.linear ? gl.LINEAR : gl.NEAREST;
    gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MIN_FILTER, filter);
    gl.texParameteri(gl.TEXTURE_3D, gl.TEXTURE_MAG_FILTER, filter);
    for (const wrap of [gl.TEXTURE_WRAP_S, gl.TEXTURE_WRAP_T, gl.TEXTURE_WRAP_R]) {
      gl.texParameteri(gl.TEXTURE_3D, wrap, gl.CLAMP_TO_EDGE);
    }
    const [layers, rows, cols] = shape;
    gl.texStorage3D(gl.TEXTURE_3D, 1, gl.R32F, cols, rows, layers);
    this.shape = shape;
  }

  // Writes layers [layer0, layer0 + count) from `values` (Float32Array, count x rows x cols).
  updateLayers(layer0, count, values) {
    const gl = this.gl;
    const [, rows, cols] = this.shape;
    gl.bindTexture(gl.TEXTURE_3D, this.texture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texSubImage3D(gl.TEXTURE_3D, 0, 0, 0, layer0, cols, rows, count, gl.RED, gl.FLOAT, values);
  }

  rotate(dxPixels, dyPixels) {
    this.yaw += dxPixels * 0.01;
    this.pitch = Math.max(-1.5, Math.min(1.5, this.pitch + dyPixels * 0.01));
  }

  // Draws one frame; returns the milliseconds the draw call took to submit (the GPU time is in the frame rate).
  render() {
    const gl = this.gl;
    const start = performance.now();
    const width = this.canvas.clientWidth || this.canvas.width;
    const height = this.canvas.clientHeight || this.canvas.height;
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(width * ratio)), h = Math.max(1, Math.round(height * ratio));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    gl.viewport(0, 0, w, h);
    gl.clearColor(0.08, 0.09, 0.11, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    if (!this.texture) return performance.now() - start;
    const [layers, rows, cols] = this.shape;
    const longest = Math.max(layers, rows, cols);
    gl.useProgram(this.program);
    gl.bindVertexArray(this.vao);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_3D, this.texture);
    const u = this.uniforms;
    gl.uniform1i(u.u_volume, 0);
    gl.uniformMatrix3fv(u.u_rotation, false, viewRotation(this.yaw, this.pitch));
    gl.uniform3f(u.u_extent, cols / longest, layers / longest, rows / longest);
    gl.uniform2f(u.u_aspect, w >= h ? w / h : 1, w >= h ? 1 : h / w);
    gl.uniform2f(u.u_window, this.window[0], this.window[1]);
    gl.uniform1i(u.u_mode, this.mode === "iso" ? 1 : 0);
    gl.uniform1f(u.u_iso, this.iso);
    gl.uniform1i(u.u_steps, Math.min(2048, Math.ceil(longest * 1.8)));
    gl.uniform3f(u.u_texel, 1 / cols, 1 / rows, 1 / layers);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    return performance.now() - start;
  }
}
