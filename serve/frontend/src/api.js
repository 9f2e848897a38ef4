// The page's only contact with the server: the JSON API of serve/app.py (ARCHITECTURE.md, "The serving contract").
// Every error comes back as {"error": {"code", "message"}}; we hand that message to the user.

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function request(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError("Cannot reach the server. Is it running? Check your connection and try again.", "network", 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy or host error page
  }
  if (!response.ok) {
    const message = body?.error?.message ?? `The server answered ${response.status} ${response.statusText}.`;
    throw new ApiError(message, body?.error?.code ?? "http_error", response.status);
  }
  if (body === null) throw new ApiError("The server's answer was not JSON.", "bad_answer", response.status);
  return body;
}

/** POST /api/predict {"text"} -> {label, score, probabilities, model} */
export function predict(text, signal) {
  return request("/api/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text }),
    signal,
  });
}

/** GET /api/model -> the bundle's metadata (name, quantization, size, test accuracy, ...) */
export function modelInfo() {
  return request("/api/model");
}
