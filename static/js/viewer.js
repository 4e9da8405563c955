// The 3D viewer of templates/dashboard/includes/viewer.html: Gaussian splats (.splat / .ply) with
// @mkkellogg/gaussian-splats-3d and meshes (.glb) with three.js, in one three.js scene, with orbit
// controls, a camera reset, a loading progress bar and a message where WebGL is missing.
//
// Every element with [data-atlas-viewer] becomes a viewer. Its data-viewer-state is "loading", then
// "ready" (the model is loaded and has been drawn) or "error"; browser tests wait for it and read the
// canvas back through window.atlasViewer.snapshot() (the drawing buffer is preserved, so
// canvas.toDataURL() works too). A viewer with data-viewer-deferred="true" starts "waiting" for the page to
// hand it a mesh: viewer.showMesh(url) (the studio's live preview), again for each new one.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';

const BACKGROUND = new THREE.Color(0x1e2227);
// SfM frames are OpenCV's (y down), so without cameras a splat's up is -y; glTF's up is +y.
const SPLAT_UP = new THREE.Vector3(0, -1, 0);
const MESH_UP = new THREE.Vector3(0, 1, 0);
const DEFAULT_FOV = 50;
const READY_TIMEOUT_MS = 10000;
const SAMPLED_CENTRES = 20000;
const LOADER_DOWNLOADING = 0; // the splat library's LoaderStatus.Downloading (not exported)
const NO_WEBGL = 'Your browser cannot show 3D here (WebGL 2 is turned off or not supported). '
  + 'You can still download the model and open it in a desktop viewer.';

// The toolbar's hint and the canvas's label say how to move the model with what the person holds: the page is
// written with the mouse wording; a touch screen (a coarse main pointer, or touch without any fine pointer, or a
// first touch on the model) gets the touch wording. "Right-drag" means nothing on a phone.
const TOUCH_HINT = 'Drag to turn · pinch to zoom · two-finger drag to move';
const TOUCH_LABEL = 'drag to turn it, pinch to zoom, two-finger drag to move it';

function touchFirst() {
  const media = (query) => Boolean(window.matchMedia && window.matchMedia(query).matches);
  return media('(pointer: coarse)') || (('ontouchstart' in window || navigator.maxTouchPoints > 0)
    && !media('(any-pointer: fine)'));
}

const viewers = [];
window.atlasViewers = viewers;

function webglAvailable() {
  try {
    return Boolean(document.createElement('canvas').getContext('webgl2'));
  } catch {
    return false;
  }
}

// --- where to put the camera -------------------------------------------------------------------

// Camera-to-world 4x4 matrices (OpenCV axes: x right, y down, z forward) from a cameras.json: a list of
// {matrix: [16 numbers, row-major], fy, height} records, or of bare 4x4 / 16-number matrices.
function parseCameras(data) {
  if (!Array.isArray(data)) return [];
  const cameras = [];
  for (const entry of data) {
    const raw = Array.isArray(entry) ? entry : entry && entry.matrix;
    if (!Array.isArray(raw)) continue;
    const flat = raw.flat().map(Number);
    if (flat.length !== 16 || flat.some((value) => !Number.isFinite(value))) continue;
    const m = (row, col) => flat[row * 4 + col];
    cameras.push({
      centre: new THREE.Vector3(m(0, 3), m(1, 3), m(2, 3)),
      forward: new THREE.Vector3(m(0, 2), m(1, 2), m(2, 2)).normalize(),
      up: new THREE.Vector3(-m(0, 1), -m(1, 1), -m(2, 1)).normalize(),
      fovDegrees: entry.fy > 0 && entry.height > 0
        ? THREE.MathUtils.radToDeg(2 * Math.atan(entry.height / 2 / entry.fy)) : null,
    });
  }
  return cameras;
}

function solve3(a, b) {
  // Cramer's rule on a symmetric 3x3 system; null when (nearly) singular.
  const m = new THREE.Matrix3().set(...a[0], ...a[1], ...a[2]);
  const det = m.determinant();
  const scale = Math.max(...a.flat().map(Math.abs)) ** 3;
  if (!scale || Math.abs(det) < scale * 1e-6) return null;
  return new THREE.Vector3(...b).applyMatrix3(m.invert());
}

// The point the cameras look at: the least-squares closest point to all their optical axes (the
// same as captures/reconstruction/gaussians/render.py scene_center), or null when the axes are near
// parallel (a forward-facing capture).
function lookedAtPoint(cameras) {
  if (cameras.length < 2) return null;
  const a = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const b = [0, 0, 0];
  for (const { centre, forward } of cameras) {
    const d = forward.toArray();
    const c = centre.toArray();
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const p = (i === j ? 1 : 0) - d[i] * d[j];
        a[i][j] += p;
        b[i] += p * c[j];
      }
    }
  }
  return solve3(a, b);
}

function meanUp(cameras) {
  const up = new THREE.Vector3();
  cameras.forEach((camera) => up.add(camera.up));
  return up.lengthSq() > 1e-12 ? up.normalize() : SPLAT_UP.clone();
}

// The view the reconstruction's thumbnail shows (the first frame of its orbit video): on the circle
// around the up axis through the target, at the cameras' mean height and distance, by the first camera.
function viewFromCameras(cameras, target) {
  const up = meanUp(cameras);
  const offsets = cameras.map((camera) => camera.centre.clone().sub(target));
  const height = offsets.reduce((sum, offset) => sum + offset.dot(up), 0) / offsets.length;
  const flat = offsets.map((offset) => offset.clone().addScaledVector(up, -offset.dot(up)));
  const radius = flat.reduce((sum, offset) => sum + offset.length(), 0) / flat.length;
  const start = flat[0].lengthSq() > 1e-12 ? flat[0].clone().normalize() : new THREE.Vector3(0, 0, -1);
  const eye = target.clone().addScaledVector(up, height).addScaledVector(start, radius);
  const fovs = cameras.map((camera) => camera.fovDegrees).filter(Boolean);
  const fov = fovs.length ? THREE.MathUtils.clamp(fovs[0], 30, 75) : DEFAULT_FOV;
  return { eye, target, up, fov };
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

// A sphere holding most of the points: the per-axis median and the 90th percentile distance from it,
// so a few far floaters (structure-from-motion leaves some) do not shrink the object to a dot.
function robustSphere(points) {
  const centre = new THREE.Vector3(
    ...[0, 1, 2].map((axis) => quantile(points.map((p) => p.getComponent(axis)).sort((x, y) => x - y), 0.5)));
  const distances = points.map((p) => p.distanceTo(centre)).sort((x, y) => x - y);
  return { centre, radius: quantile(distances, 0.9) || 1 };
}

// A camera `direction` (unit, from the target) away that fits a sphere `margin` times as large in the view.
function viewOfSphere({ centre, radius }, direction, up, fov, aspect, margin) {
  const vertical = THREE.MathUtils.degToRad(fov) / 2;
  const horizontal = Math.atan(Math.tan(vertical) * aspect);
  const distance = margin * radius / Math.sin(Math.min(vertical, horizontal));
  return { eye: centre.clone().addScaledVector(direction, distance), target: centre.clone(), up, fov };
}

function splatCentres(splats) {
  const mesh = splats.splatMesh;
  const count = mesh.getSplatCount();
  const step = Math.max(1, Math.floor(count / SAMPLED_CENTRES));
  const points = [];
  for (let i = 0; i < count; i += step) {
    const point = new THREE.Vector3();
    mesh.getSplatCenter(i, point);
    if (Number.isFinite(point.x + point.y + point.z)) points.push(point);
  }
  return points;
}

// Without cameras: look at the bulk of the splats from the side of the structure-from-motion origin
// (where the first photo was taken), a little from above.
function viewFromSplats(points, up, aspect) {
  const sphere = robustSphere(points);
  let direction = sphere.centre.clone().negate();
  direction.addScaledVector(up, -direction.dot(up));
  if (direction.lengthSq() < 1e-12) direction = new THREE.Vector3(0, 0, -1).addScaledVector(up, -up.z);
  direction.normalize().addScaledVector(up, 0.35).normalize();
  return viewOfSphere(sphere, direction, up, DEFAULT_FOV, aspect, 1.5);
}

function viewFromObject(object, aspect) {
  const box = new THREE.Box3().setFromObject(object);
  const sphere = box.getBoundingSphere(new THREE.Sphere());
  const direction = new THREE.Vector3(0.55, 0.45, 1).normalize();
  return viewOfSphere({ centre: sphere.center, radius: sphere.radius || 1 }, direction, MESH_UP.clone(),
    DEFAULT_FOV, aspect, 0.9); // the box's sphere is larger than the object
}

// A file the splat library cannot parse makes it throw inside its own callbacks: the load promise then
// never settles, so an uncaught error while a model loads counts as that load failing.
function disposeObject(object) {
  object.traverse((node) => {
    if (node.geometry) node.geometry.dispose();
    const materials = Array.isArray(node.material) ? node.material : (node.material ? [node.material] : []);
    for (const material of materials) {
      for (const value of Object.values(material)) {
        if (value && value.isTexture) value.dispose();
      }
      material.dispose();
    }
  });
}

function uncaughtErrors() {
  let stop;
  const promise = new Promise((_, reject) => {
    const onError = (event) => reject(event.error || event.reason || new Error(String(event.message)));
    window.addEventListener('error', onError);
    window.addEventListener('unhandledrejection', onError);
    stop = () => {
      window.removeEventListener('error', onError);
      window.removeEventListener('unhandledrejection', onError);
    };
  });
  return { promise, stop };
}

// --- one viewer ----------------------------------------------------------------------------------

class AtlasViewer {
  constructor(root) {
    this.root = root;
    this.splatUrl = root.dataset.splatUrl || '';
    this.splatFormat = (root.dataset.splatFormat || '').toLowerCase();
    this.meshUrl = root.dataset.meshUrl || '';
    this.camerasUrl = root.dataset.camerasUrl || '';
    this.figure = root.closest('.atlas-viewer-figure') || root.parentElement;
    this.progress = this.figure.querySelector('[data-viewer-progress]');
    this.progressBar = this.progress && this.progress.querySelector('progress');
    this.progressLabel = this.progress && this.progress.querySelector('[data-viewer-progress-label]');
    this.message = this.figure.querySelector('[data-viewer-message]');
    this.toolbar = this.figure.querySelector('[data-viewer-toolbar]');
    this.resetButton = this.figure.querySelector('[data-viewer-reset]');
    this.fullscreenButton = this.figure.querySelector('[data-viewer-fullscreen]');
    this.hint = this.figure.querySelector('[data-viewer-hint]');
    this.splats = null;
    this.mesh = null;
    this.deferred = root.dataset.viewerDeferred === 'true';
    this.meshCalls = 0; // showMesh calls: only the newest one's mesh is shown
    this.loads = 0;
    this.framed = false;
    this.lit = false;
    this.controlsShown = false;
  }

  setState(state) {
    this.root.dataset.viewerState = state;
  }

  showProgress(label, percent) {
    if (!this.progress) return;
    this.progress.hidden = false;
    this.progressLabel.textContent = label;
    if (Number.isFinite(percent)) this.progressBar.value = Math.max(0, Math.min(100, percent));
    else this.progressBar.removeAttribute('value'); // indeterminate
  }

  fail(text) {
    this.setState('error');
    if (this.progress) this.progress.hidden = true;
    if (this.toolbar) this.toolbar.hidden = true;
    if (this.message) {
      this.message.textContent = text;
      this.message.hidden = false;
    }
  }

  async start() {
    if (!this.splatUrl && !this.meshUrl && !this.deferred) {
      this.fail('There is no 3D model to show yet.');
      return;
    }
    if (!webglAvailable()) {
      this.fail(NO_WEBGL);
      return;
    }
    if (!this.splatUrl && !this.meshUrl) { // deferred: showMesh brings the model
      if (!this.meshCalls) {
        this.setState('waiting');
        this.showProgress('Making the 3D preview…', NaN);
      }
      return;
    }
    this.setState('loading');
    this.showProgress('Loading the 3D model…', NaN);
    const crash = uncaughtErrors();
    try {
      await Promise.race([this.load(), crash.promise]);
    } catch (error) {
      console.error('Atlas viewer:', error);
      const status = String(error && error.message).match(/\b([45]\d\d)\b/); // "Fetch failed: 404 ..."
      this.fail(`The 3D model could not be loaded${status ? ` (the server answered ${status[1]})` : ''}. `
        + 'Reload the page to try again, or download the file below.');
      this.dispose();
      return;
    } finally {
      crash.stop();
    }
    this.showControls();
    this.awaitFirstPicture();
  }

  showControls() {
    this.progress.hidden = true;
    this.toolbar.hidden = false;
    if (!this.controlsShown) {
      this.controlsShown = true;
      this.resetButton.addEventListener('click', () => this.resetCamera());
      this.setUpHints();
      this.setUpFullscreen();
    }
  }

  setUpHints() {
    const useTouchWords = () => {
      if (this.hint) this.hint.textContent = TOUCH_HINT;
      const canvas = this.renderer && this.renderer.domElement;
      if (canvas) canvas.setAttribute('aria-label', `${this.root.dataset.name || '3D model'}: ${TOUCH_LABEL}`);
      this.root.dataset.viewerHints = 'touch';
    };
    if (touchFirst()) {
      useTouchWords();
      return;
    }
    this.root.dataset.viewerHints = 'mouse';
    this.root.addEventListener('pointerdown', (event) => {
      if (event.pointerType === 'touch') useTouchWords();
    }, { passive: true });
  }

  // Full screen on the viewer and its toolbar (the Fullscreen API; hidden where the browser has none, as on an
  // iPhone, or where a frame is not allowed it).
  setUpFullscreen() {
    const button = this.fullscreenButton;
    const target = this.figure;
    const request = target.requestFullscreen || target.webkitRequestFullscreen;
    const enabled = document.fullscreenEnabled || document.webkitFullscreenEnabled;
    if (!button || !request || !enabled) return;
    const current = () => document.fullscreenElement || document.webkitFullscreenElement;
    const exit = () => (document.exitFullscreen || document.webkitExitFullscreen).call(document);
    const update = () => {
      const on = current() === target;
      button.textContent = on ? 'Exit full screen' : 'Full screen';
      button.setAttribute('aria-pressed', String(on));
    };
    button.hidden = false;
    button.addEventListener('click', async () => {
      try {
        if (current() === target) await exit();
        else await request.call(target);
      } catch (error) {
        console.warn('Atlas viewer: full screen refused', error);
      }
    });
    document.addEventListener('fullscreenchange', update);
    document.addEventListener('webkitfullscreenchange', update);
  }

  // Shows the .glb at `url` in place of the mesh on screen (the studio's live preview hands each new avatar over
  // as a blob: URL), keeping the camera where the person left it; the first mesh is framed. Resolves true once
  // the mesh is in the scene, false when a newer call took its place first or it could not be read. Meanwhile
  // data-viewer-state is "loading", then "ready" once drawn; data-viewer-loads counts the meshes shown.
  async showMesh(url) {
    const call = ++this.meshCalls;
    if (!webglAvailable()) {
      this.fail(NO_WEBGL);
      return false;
    }
    if (!this.renderer) this.setUp(MESH_UP);
    this.setState('loading');
    let mesh;
    try {
      mesh = (await this.fetchMesh(url, { progress: !this.mesh })).scene;
    } catch (error) {
      console.error('Atlas viewer:', error);
      if (call === this.meshCalls) this.fail('The 3D model could not be shown. Change a setting to try again.');
      return false;
    }
    if (call !== this.meshCalls) {
      disposeObject(mesh);
      return false;
    }
    if (this.mesh) {
      this.scene.remove(this.mesh);
      disposeObject(this.mesh);
    }
    this.mesh = mesh;
    this.scene.add(mesh);
    this.light();
    if (!this.framed) this.frame([]);
    if (this.message) this.message.hidden = true;
    this.showControls();
    this.loads += 1;
    this.root.dataset.viewerLoads = String(this.loads);
    this.awaitFirstPicture();
    return true;
  }

  async load() {
    const cameras = this.splatUrl && this.camerasUrl ? await this.loadCameras() : [];
    this.setUp(cameras.length ? meanUp(cameras) : (this.splatUrl ? SPLAT_UP : MESH_UP));
    if (this.splatUrl) await this.loadSplats();
    if (this.meshUrl) await this.loadMesh();
    this.frame(cameras);
  }

  async loadCameras() {
    try {
      const response = await fetch(this.camerasUrl, { credentials: 'same-origin' });
      if (!response.ok) return [];
      return parseCameras(await response.json());
    } catch {
      return []; // the model is still worth showing: the camera is then placed from its bounds
    }
  }

  // Renderer, camera and controls; the controls take the camera's up when they are made, hence `up` first.
  setUp(up) {
    const width = Math.max(1, this.root.clientWidth);
    const height = Math.max(1, this.root.clientHeight);
    this.renderer = new THREE.WebGLRenderer({ antialias: false, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.setSize(width, height, false);
    const canvas = this.renderer.domElement;
    canvas.classList.add('atlas-viewer-canvas');
    canvas.tabIndex = 0;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', this.root.dataset.label || '3D model viewer');
    this.root.prepend(canvas);

    this.scene = new THREE.Scene();
    this.scene.background = BACKGROUND.clone(); // a page may colour it (the studio: the picture's background)
    this.camera = new THREE.PerspectiveCamera(DEFAULT_FOV, width / height, 0.01, 1000);
    this.camera.up.copy(up);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = true;
    this.controls.listenToKeyEvents(canvas);

    new ResizeObserver(() => this.resize()).observe(this.root);
    this.renderer.setAnimationLoop(() => this.render());
  }

  resize() {
    const width = Math.max(1, this.root.clientWidth);
    const height = Math.max(1, this.root.clientHeight);
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
  }

  render() {
    this.controls.update();
    this.renderer.render(this.scene, this.camera);
  }

  async loadSplats() {
    const { DropInViewer, SceneFormat, SceneRevealMode, LogLevel } = await import('gaussian-splats-3d');
    this.splats = new DropInViewer({
      // SharedArrayBuffer needs cross-origin isolation headers the pages do not send.
      sharedMemoryForWorkers: false,
      gpuAcceleratedSort: false,
      sceneRevealMode: SceneRevealMode.Instant,
      logLevel: LogLevel.None,
    });
    this.scene.add(this.splats);
    const ply = this.splatFormat ? this.splatFormat === 'ply' : /ply\/?$/i.test(new URL(this.splatUrl,
      window.location.href).pathname);
    await this.splats.addSplatScene(this.splatUrl, {
      // Download URLs do not end in .splat/.ply, and the library picks the parser by extension.
      format: ply ? SceneFormat.Ply : SceneFormat.Splat,
      showLoadingUI: false,
      progressiveLoad: false,
      splatAlphaRemovalThreshold: 5,
      onProgress: (percent, _label, status) => {
        if (status === LOADER_DOWNLOADING) {
          this.showProgress(`Downloading the splats… ${Math.floor(percent || 0)}%`, percent);
        } else {
          this.showProgress('Preparing the splats…', NaN);
        }
      },
    });
  }

  async fetchMesh(url, { progress = true } = {}) {
    const { GLTFLoader } = await import('three/addons/loaders/GLTFLoader.js');
    return new Promise((resolve, reject) => {
      new GLTFLoader().load(url, resolve, (event) => {
        if (!progress) return;
        const percent = event.lengthComputable ? event.loaded / event.total * 100 : NaN;
        this.showProgress(`Downloading the mesh…${Number.isFinite(percent) ? ` ${Math.floor(percent)}%` : ''}`,
          percent);
      }, reject);
    });
  }

  async loadMesh() {
    this.mesh = (await this.fetchMesh(this.meshUrl)).scene;
    this.scene.add(this.mesh);
    this.light();
  }

  light() {
    if (this.lit) return;
    this.lit = true;
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x445566, 2.2));
    const light = new THREE.DirectionalLight(0xffffff, 1.6);
    light.position.set(0.5, 1, 0.8);
    this.camera.add(light); // a light over the viewer's shoulder, whichever way they turn the model
    this.scene.add(this.camera);
  }

  frame(cameras) {
    const aspect = this.camera.aspect;
    let view;
    if (this.splats) {
      const target = lookedAtPoint(cameras);
      const points = splatCentres(this.splats);
      if (target && cameras.length >= 2) {
        view = viewFromCameras(cameras, target);
      } else if (points.length) {
        view = viewFromSplats(points, this.camera.up.clone(), aspect);
      }
    }
    if (!view && this.mesh) view = viewFromObject(this.mesh, aspect);
    if (!view) throw new Error('The model is empty.');
    const distance = view.eye.distanceTo(view.target) || 1;
    this.camera.fov = view.fov;
    this.camera.near = distance / 200;
    this.camera.far = distance * 200;
    this.camera.position.copy(view.eye);
    this.camera.lookAt(view.target);
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(view.target);
    this.controls.update();
    this.controls.saveState();
    this.framed = true;
  }

  resetCamera() {
    this.controls.reset();
    this.renderer.domElement.focus();
  }

  // "ready" once a picture with the model in it has been drawn (the splat sort runs in a worker, so
  // the first frames after loading can still be empty), or after a while whatever the picture shows.
  awaitFirstPicture() {
    const started = performance.now();
    const call = this.meshCalls;
    const check = () => {
      if (call !== this.meshCalls) return; // a newer mesh is on its way: its own check says when it is drawn
      if (this.snapshot().drawn || performance.now() - started > READY_TIMEOUT_MS) {
        this.setState('ready');
        return;
      }
      setTimeout(check, 100);
    };
    check();
  }

  // Renders a frame and reads it back: how many pixels differ from the background, and where their
  // centre of mass lies (0..1 from the left and from the top).
  snapshot() {
    if (!this.renderer) return { drawn: false, drawnPixels: 0, drawnFraction: 0, width: 0, height: 0 };
    this.render();
    const gl = this.renderer.getContext();
    const width = gl.drawingBufferWidth;
    const height = gl.drawingBufferHeight;
    const pixels = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    const hex = this.scene.background.getHex(); // sRGB, as the canvas holds it
    const [r, g, b] = [(hex >> 16) & 255, (hex >> 8) & 255, hex & 255];
    let drawnPixels = 0;
    let sumX = 0;
    let sumY = 0;
    for (let i = 0, p = 0; i < pixels.length; i += 4, p++) {
      if (Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b) > 24) {
        drawnPixels++;
        sumX += p % width;
        sumY += height - 1 - Math.floor(p / width);
      }
    }
    return {
      width, height, drawnPixels,
      drawnFraction: drawnPixels / (width * height),
      drawn: drawnPixels > width * height * 0.002,
      centre: drawnPixels ? { x: sumX / drawnPixels / width, y: sumY / drawnPixels / height } : null,
    };
  }

  dispose() {
    if (this.renderer) {
      this.renderer.setAnimationLoop(null);
      this.renderer.domElement.remove();
      this.renderer.dispose();
      this.renderer = null;
    }
  }
}

for (const root of document.querySelectorAll('[data-atlas-viewer]')) {
  const viewer = new AtlasViewer(root);
  viewers.push(viewer);
  viewer.start();
}
window.atlasViewer = viewers[0] || null;
