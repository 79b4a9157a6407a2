/**
 * Showing errors: the server's `message` in large type, its `error_code`, and each field error
 * ("lots: Must be greater than 0."), in the panel where the action failed.
 * Text only (textContent): nothing from the server is ever parsed as HTML.
 */

/** Show an ApiError (or any Error) in `box`, an element with role="alert". */
export function showError(box, error) {
  box.replaceChildren();
  const message = document.createElement("strong");
  message.className = "message";
  message.textContent = error.message;
  box.append(message);
  if (error.errorCode) {
    const code = document.createElement("code");
    code.textContent = error.errorCode;
    box.append(" ", code);
  }
  const fields = fieldMessages(error.fieldErrors);
  if (fields.length) {
    const list = document.createElement("ul");
    for (const text of fields) {
      const item = document.createElement("li");
      item.textContent = text;
      list.append(item);
    }
    box.append(list);
  }
  box.hidden = false;
}

export function clearError(box) {
  box.hidden = true;
  box.replaceChildren();
}

/** Flatten {"lots": ["..."], "symbols": ["FOO"]} (possibly nested) into "lots: ..." lines. */
function fieldMessages(errors, prefix = "") {
  if (!errors || typeof errors !== "object") return [];
  return Object.entries(errors).flatMap(([name, value]) => {
    const field = prefix ? `${prefix}.${name}` : name;
    if (Array.isArray(value)) return value.map((text) => `${field}: ${text}`);
    if (typeof value === "object") return fieldMessages(value, field);
    return [`${field}: ${value}`];
  });
}
