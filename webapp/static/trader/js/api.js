/**
 * The REST client: JSON in and out, the bearer token, and one refresh when it has expired.
 *
 * Tokens live in sessionStorage: a reload keeps the session, a new tab or a closed browser does
 * not. The page's Content-Security-Policy (no inline or foreign script) is what keeps other
 * scripts away from them.
 *
 * Every failure becomes an ApiError carrying the server's error body
 * ({code, status, message, error_code, errors?}); network failures and non-JSON answers (a
 * proxy's error page) are given the same shape, so the page has one way to show an error.
 */

const STORAGE_KEY = "fx-trader-tokens";

export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.errorCode = body.error_code || "ERROR";
    this.fieldErrors = body.errors || null;
  }
}

let tokens = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
let session = 0; // bumped at every login and logout: late answers of an older session are ignored
let refreshing = null;
const sessionEndedListeners = [];

export function hasSession() {
  return tokens !== null;
}

/** Call `listener(error)` when the session ends without a logout (the refresh was refused). */
export function onSessionEnded(listener) {
  sessionEndedListeners.push(listener);
}

function keep(newTokens, sameSession = false) {
  if (!sameSession) session += 1;
  tokens = newTokens;
  if (tokens) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
  else sessionStorage.removeItem(STORAGE_KEY);
}

async function send(method, path, body, bearer) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
  try {
    return await fetch(path, init);
  } catch {
    return null; // the server could not be reached
  }
}

async function read(response) {
  if (response === null) {
    throw new ApiError(0, { message: "cannot reach the server", error_code: "NETWORK_ERROR" });
  }
  if (response.status === 204) return null;
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = { message: `${response.status} ${response.statusText}`.trim() };
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** Exchange the refresh token for a new access token; one exchange at a time. */
function refresh() {
  refreshing ??= (async () => {
    const started = session;
    const answer = await send("POST", "/api/auth/refresh", undefined, tokens?.refresh_token);
    try {
      const body = await read(answer);
      // Logged out (or in again) meanwhile: that session's token must not come back.
      if (session === started) keep({ ...tokens, access_token: body.access_token }, true);
    } catch (error) {
      if (error.status === 401) endSession(error, started);
      throw error;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** End the session `started` (unless it already ended) and tell the page why. */
function endSession(error, started) {
  if (session !== started) return;
  keep(null);
  for (const listener of sessionEndedListeners) listener(error);
}

/**
 * Call the API with the access token; on 401 TOKEN_EXPIRED refresh once and retry.
 * Any other 401 ends the session (the token was revoked or is no longer valid).
 */
export async function api(method, path, body) {
  const started = session;
  let response = await send(method, path, body, accessToken());
  let refused = await unauthorized(response);
  if (refused?.errorCode === "TOKEN_EXPIRED") {
    await refresh();
    response = await send(method, path, body, accessToken());
    refused = await unauthorized(response);
  }
  if (refused) {
    endSession(refused, started);
    throw refused;
  }
  return read(response);
}

function accessToken() {
  if (!tokens) throw new ApiError(401, { message: "logged out", error_code: "TOKEN_MISSING" });
  return tokens.access_token;
}

async function unauthorized(response) {
  return response?.status === 401 ? read(response).catch((error) => error) : null;
}

/** Register a user (no token needed). */
export async function register(username, password) {
  return read(await send("POST", "/api/auth/register", { username, password }));
}

/** Log in and keep the tokens. */
export async function login(username, password) {
  keep(await read(await send("POST", "/api/auth/login", { username, password })));
}

/**
 * Forget the tokens at once, then revoke both on the server. An expired access token is
 * refreshed once for the purpose (logout needs a valid one); the refresh token is revoked too.
 */
export async function logout() {
  const ending = tokens;
  keep(null);
  if (!ending) return;
  const body = { refresh_token: ending.refresh_token };
  let response = await send("POST", "/api/auth/logout", body, ending.access_token);
  if (response?.status === 401) {
    const refreshed = await send("POST", "/api/auth/refresh", undefined, ending.refresh_token);
    const { access_token } = await read(refreshed);
    response = await send("POST", "/api/auth/logout", body, access_token);
  }
  await read(response);
}
