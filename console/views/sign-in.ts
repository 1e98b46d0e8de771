import { field, h } from "../dom.js";
import { heading } from "../view.js";

/**
 * No token (or a refused one): a form to paste one. Locally it is the `Ops token` `npm start` printed
 * (its console link carries it); in AWS, an access token (JWT) from the operators' identity provider.
 */
export function signInView(
  main: HTMLElement,
  problem: string | undefined,
  onToken: (token: string) => void,
): void {
  const input = h("input", {
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  const form = h(
    "form",
    { class: "sign-in", "aria-labelledby": "sign-in-h" },
    field(
      "Operator token",
      input,
      "Kept in this tab only (sessionStorage) and sent as Authorization: Bearer with every call to the ops API.",
    ),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token) onToken(token);
  });
  main.replaceChildren(
    Object.assign(heading("Sign in"), { id: "sign-in-h" }),
    problem ? h("p", { class: "error", role: "alert" }, problem) : "",
    h(
      "p",
      null,
      "The console needs an operator token to call the ops API. Locally, open the console link ",
      h("code", null, "npm start"),
      " printed (it carries the token), or paste its ",
      h("strong", null, "Ops token"),
      " (also ",
      h("code", null, "opsToken"),
      " in ",
      h("code", null, ".local/stack.json"),
      "). For a deployed stack, paste an access token (JWT) from your operators' identity provider, with the read or write scope the stack's ops.auth names.",
    ),
    form,
  );
  input.focus();
}
