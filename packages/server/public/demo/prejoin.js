/* global navigator, window, document, requestAnimationFrame, cancelAnimationFrame */
// The pre-join device check: camera preview, microphone level meter and device choice. It holds its own
// capture (getUserMedia) and releases it before the SDK opens the devices it was told to use.

import { $, el } from './dom.js';

const check = {
  stream: null,
  audio: null,
  frame: 0,
  /** Bumped on every (re)start so a slow getUserMedia that lost the race releases what it got. */
  generation: 0,
};

/** Starts the device check and wires its controls. */
export function initPrejoin() {
  $('camera-select').addEventListener('change', () => restart());
  $('mic-select').addEventListener('change', () => restart());
  $('start-cam').addEventListener('change', () => restart());
  $('start-mic').addEventListener('change', () => restart());
  // Browsers start an AudioContext only after a user gesture; the meter resumes on the first one.
  document.addEventListener('pointerdown', () => check.audio?.context.resume().catch(() => {}), { once: true });
  navigator.mediaDevices?.addEventListener?.('devicechange', () => listDevices());
  restart();
}

/** The devices picked (undefined: the default one) and whether to start with them on. */
export function chosenDevices() {
  return {
    cameraId: $('camera-select').value || undefined,
    microphoneId: $('mic-select').value || undefined,
    startCam: $('start-cam').checked,
    startMic: $('start-mic').checked,
  };
}

/** Releases the check's capture (before joining, or when the user picks audience). */
export function stopPrejoin() {
  check.generation++;
  release();
}

/** (Re)opens the chosen devices for the preview and the meter. */
export async function restart() {
  const generation = ++check.generation;
  release();
  const { cameraId, microphoneId, startCam, startMic } = chosenDevices();
  setStatus('');
  $('preview').classList.toggle('has-video', false);
  if (!navigator.mediaDevices?.getUserMedia) return setStatus('This browser cannot open a camera or microphone.');
  if (!startCam && !startMic) return setStatus('Camera and microphone are off.');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: startCam ? (cameraId ? { deviceId: { exact: cameraId } } : true) : false,
      audio: startMic ? (microphoneId ? { deviceId: { exact: microphoneId } } : true) : false,
    });
  } catch (err) {
    if (generation === check.generation) setStatus(`Could not open your devices: ${err?.message ?? err}`);
    return;
  }
  if (generation !== check.generation) {
    for (const track of stream.getTracks()) track.stop();
    return;
  }
  check.stream = stream;
  const video = $('preview-video');
  video.srcObject = stream;
  video.play().catch(() => {});
  $('preview').classList.toggle('has-video', stream.getVideoTracks().length > 0);
  if (stream.getAudioTracks().length > 0) startMeter(stream);
  await listDevices();
}

function release() {
  cancelAnimationFrame(check.frame);
  check.audio?.context.close().catch(() => {});
  check.audio = null;
  for (const track of check.stream?.getTracks() ?? []) track.stop();
  check.stream = null;
  const video = $('preview-video');
  if (video) video.srcObject = null;
  setLevel(0);
}

/** Fills the device menus (labels are known once the user granted access). */
async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  fill(
    $('camera-select'),
    devices.filter((d) => d.kind === 'videoinput'),
    'Camera',
  );
  fill(
    $('mic-select'),
    devices.filter((d) => d.kind === 'audioinput'),
    'Microphone',
  );
}

function fill(select, devices, noun) {
  const current = select.value;
  const options = [el('option', { text: `Default ${noun.toLowerCase()}`, attrs: { value: '' } })];
  devices.forEach((d, i) => {
    if (d.deviceId === '' || d.deviceId === 'default') return;
    options.push(el('option', { text: d.label || `${noun} ${i + 1}`, attrs: { value: d.deviceId } }));
  });
  select.replaceChildren(...options);
  if (options.some((o) => o.value === current)) select.value = current;
}

/** The microphone level meter: RMS of the analyser's samples, redrawn every animation frame. */
function startMeter(stream) {
  const AudioContext = window.AudioContext ?? window.webkitAudioContext;
  if (!AudioContext) return;
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  check.audio = { context, analyser };
  const draw = () => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    // RMS → 0..1 on a rough dB scale (-60 dB silent, 0 dB full).
    const db = 20 * Math.log10(Math.sqrt(sum / samples.length) || 1e-6);
    setLevel(Math.max(0, Math.min(1, (db + 60) / 60)));
    check.frame = requestAnimationFrame(draw);
  };
  draw();
}

function setLevel(level) {
  const meter = $('mic-meter');
  if (!meter) return;
  meter.style.setProperty('--level', level.toFixed(3));
  meter.setAttribute('aria-valuenow', String(Math.round(level * 100)));
}

function setStatus(text) {
  $('preview-status').textContent = text;
  $('preview-status').hidden = text === '';
}
