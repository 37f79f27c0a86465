// The one place the page talks to the service: the API key, errors, server-sent events.
// The key lives in sessionStorage: this tab, until it closes; never a URL, never localStorage.

const KEY = "rag-api-key";

export class ApiError extends Error {
  constructor(status, type, message, hint = "") {
    super(message);
    this.status = status;
    this.type = type;
    this.hint = hint;
  }
}

let askForKey = async () => null;

// app.js says how to ask the user for a key: a function (reason) => Promise<key | null>.
export function onKeyNeeded(ask) {
  askForKey = ask;
}

export function hasKey() {
  return sessionStorage.getItem(KEY) !== null;
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
}

function withKey(headers = {}) {
  const key = sessionStorage.getItem(KEY);
  return key === null ? headers : { ...headers, Authorization: `Bearer ${key}` };
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy's error page; the status line is all there is
  }
  const error = body && body.error;
  if (error && typeof error.message === "string") {
    return new ApiError(response.status, error.type || "", error.message, error.hint || "");
  }
  const line = `the service answered ${response.status} ${response.statusText}`.trim();
  return new ApiError(response.status, "http_error", line);
}

const UNREACHABLE = () => new ApiError(0, "network", "the service cannot be reached",
  "check that it is running and reachable, then try again");

// XMLHttpRequest, because fetch cannot report how much of a request body has been sent.
function sendWithProgress(path, init, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(init.method || "GET", path);
    for (const [name, value] of Object.entries(withKey(init.headers))) {
      request.setRequestHeader(name, value);
    }
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () => resolve(new Response(request.responseText, {
      status: request.status,
      statusText: request.statusText,
      headers: { "Content-Type": request.getResponseHeader("Content-Type") || "" },
    })));
    request.addEventListener("error", () => reject(UNREACHABLE()));
    request.send(init.body);
  });
}

async function send(path, init, onProgress) {
  if (onProgress) return sendWithProgress(path, init, onProgress);
  try {
    return await fetch(path, { ...init, headers: withKey(init.headers) });
  } catch {
    throw UNREACHABLE();
  }
}

// fetch with the key. A 401 asks for a key (saying why the last one failed) and tries again;
// any other error status throws an ApiError with the server's message and hint. With
// onProgress, it is called with the share of the body sent so far (0 to 1).
export async function call(path, init = {}, onProgress = null) {
  for (;;) {
    const response = await send(path, init, onProgress);
    if (response.ok) return response;
    const problem = await errorOf(response);
    if (response.status !== 401) throw problem;
    const reason = hasKey() ? `That key was not accepted: ${problem.message}` : "";
    const key = await askForKey(reason);
    if (key === null) throw problem;
    sessionStorage.setItem(KEY, key);
  }
}

export async function getJSON(path) {
  return (await call(path)).json();
}

export async function postJSON(path, body) {
  const init = {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  return call(path, init);
}

function parseEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return data.length ? { event, data: JSON.parse(data.join("\n")) } : null;
}

// The events of a text/event-stream response, as {event, data} with data parsed as JSON.
export async function* events(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const parsed = parseEvent(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (parsed) yield parsed;
    }
  }
}
