// A small Zoom App for camera mode, written against the real @zoom/appssdk (npm install).
// The same page runs twice, as in the Zoom client: the sidebar (runningContext inMeeting) starts
// camera mode; the camera instance (inCamera) draws the participant, an image and itself.
import zoomSdk from "./node_modules/@zoom/appssdk/dist/sdk.es.js";

const state = (window.appState = { context: null, ready: false, messages: [], error: null });

const CAPABILITIES = [
  "getRunningContext", "getUserContext", "runRenderingContext", "closeRenderingContext",
  "drawParticipant", "clearParticipant", "drawImage", "clearImage", "drawWebView", "clearWebView",
  "connect", "postMessage", "onMessage", "onConnect", "onRenderedAppOpened", "onRunningContextChange",
];

async function main() {
  const config = await zoomSdk.config({ version: "0.16", capabilities: CAPABILITIES });
  state.context = config.runningContext;
  state.renderTarget = config.media && config.media.renderTarget;
  if (config.runningContext === "inCamera") await cameraMode(config);
  else await sidebar();
}

async function sidebar() {
  const status = document.getElementById("status");
  document.getElementById("sidebar").hidden = false;
  zoomSdk.onMessage((event) => {                       // the camera page says hello: send a caption
    state.messages.push(JSON.parse(event.payload));
    zoomSdk.postMessage({ caption: "Live from layers" });
  });
  await zoomSdk.runRenderingContext({ view: "camera" });
  status.textContent = "camera mode running";
  state.ready = true;
}

async function cameraMode(config) {
  const { width = 1280, height = 720 } = config.media.renderTarget || {};
  document.getElementById("tint").hidden = false;
  document.getElementById("lower-third").hidden = false;
  const user = await zoomSdk.getUserContext();
  await zoomSdk.drawParticipant({ participantUUID: user.participantUUID, x: 0, y: 0, width, height, zIndex: 1 });
  await zoomSdk.drawImage({ imageData: badge(160, 160), x: width - 200, y: height - 160, zIndex: 2 });
  await zoomSdk.drawWebView({ x: 0, y: 0, width, height, zIndex: 3 });
  zoomSdk.onMessage((event) => {
    const message = JSON.parse(event.payload);
    state.messages.push(message);
    if (message.caption) document.getElementById("caption").textContent = message.caption;
  });
  await zoomSdk.connect();
  await zoomSdk.postMessage({ hello: "camera" });
  state.ready = true;
}

// A red square badge with a transparent round hole near its top: ImageData travels to the client as RGBA.
function badge(w, h) {
  const canvas = new OffscreenCanvas(w, h);
  const g = canvas.getContext("2d");
  g.fillStyle = "rgb(220, 30, 30)";
  g.fillRect(0, 0, w, h);
  g.globalCompositeOperation = "destination-out";
  g.beginPath();
  g.arc(w / 2, 30, 20, 0, 2 * Math.PI);
  g.fill();
  return g.getImageData(0, 0, w, h);
}

main().catch((error) => {
  state.error = { message: error.message, code: error.code };
  console.error(error);
});
