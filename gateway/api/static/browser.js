// The HAL browser of the gateway: walks the API from its root by links, as a client does.
//
// Plain modern JavaScript, no framework, no build step. Every piece of the page is built
// from text nodes (the page's Content-Security-Policy refuses any string as markup), so
// nothing a resource holds runs here. Bytes that are not JSON (media, files, pages) are
// never shown inline: the page offers a link that opens or downloads them.
//
// The place is in location.hash ("#/backends/avalon"), relative to the gateway's root:
// the back button and a reload keep it.

const HAL_FORMS = "application/prs.hal-forms+json";
const PROBLEM = "application/problem+json";
const ACCEPT = `${HAL_FORMS}, application/hal+json;q=0.9, application/json;q=0.8, ` +
  `${PROBLEM};q=0.8, */*;q=0.1`;
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
const RESERVED = ":/?#[]@!$&'()*+,;=";
// The page is served at <root>/browser: its folder is the gateway's root.
const ROOT = new URL(".", location.href);

let csrfToken = null;

// --- building the page -----------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) {
  node.replaceChildren();
  return node;
}

const view = () => document.getElementById("view");

// --- where we are ----------------------------------------------------------------------

function isGateway(url) {
  return url.origin === ROOT.origin && url.pathname.startsWith(ROOT.pathname);
}

function hashOf(url) {
  return "#/" + url.pathname.slice(ROOT.pathname.length) + url.search;
}

function current() {
  const path = location.hash.slice(1).replace(/^\//, "");
  // The hash names a place on this gateway only: "#//elsewhere" is the root.
  const url = safeUrl(path);
  return url && isGateway(url) ? url : new URL(ROOT);
}

function safeUrl(href) {
  try {
    return new URL(href, ROOT);
  } catch {
    return null; // a malformed href is shown as text, it breaks nothing else
  }
}

function go(target) {
  const url = new URL(target, ROOT);
  const hash = hashOf(url);
  if (location.hash === hash) load();
  else location.hash = hash;
}

// --- RFC 6570 URI templates (levels 1-3: the forms the gateway's links use) -----------

const OPERATORS = {
  "": { first: "", sep: ",", named: false, ifEmpty: "", reserved: false },
  "+": { first: "", sep: ",", named: false, ifEmpty: "", reserved: true },
  "#": { first: "#", sep: ",", named: false, ifEmpty: "", reserved: true },
  ".": { first: ".", sep: ".", named: false, ifEmpty: "", reserved: false },
  "/": { first: "/", sep: "/", named: false, ifEmpty: "", reserved: false },
  ";": { first: ";", sep: ";", named: true, ifEmpty: "", reserved: false },
  "?": { first: "?", sep: "&", named: true, ifEmpty: "=", reserved: false },
  "&": { first: "&", sep: "&", named: true, ifEmpty: "=", reserved: false },
};

function strict(text) {
  // encodeURIComponent keeps !'()* , which RFC 3986 reserves.
  return encodeURIComponent(text).replace(/[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

function encode(text, reserved) {
  if (!reserved) return strict(text);
  // Reserved characters and percent-encoded triplets pass as they are.
  return text.replace(/%[0-9A-Fa-f]{2}|[\s\S]/gu,
    (part) => (part.length === 3 || RESERVED.includes(part) ? part : strict(part)));
}

function expression(raw) {
  const operator = Object.hasOwn(OPERATORS, raw[0]) && raw[0] !== "" ? raw[0] : "";
  const names = raw.slice(operator.length).split(",").map((v) => v.replace(/[:*].*$/, ""));
  return { operator, names };
}

function variables(template) {
  const found = [];
  for (const match of template.matchAll(/\{([^}]*)\}/g)) {
    for (const name of expression(match[1]).names) if (!found.includes(name)) found.push(name);
  }
  return found;
}

function expand(template, values) {
  return template.replace(/\{([^}]*)\}/g, (_, raw) => {
    const { operator, names } = expression(raw);
    const op = OPERATORS[operator];
    const parts = [];
    for (const name of names) {
      const value = values[name];
      // An empty field is a value left out, not an empty one.
      if (value === undefined || value === null || value === "") continue;
      const text = encode(String(value), op.reserved);
      parts.push(op.named ? name + (text === "" ? op.ifEmpty : "=" + text) : text);
    }
    return parts.length ? op.first + parts.join(op.sep) : "";
  });
}

// --- talking to the gateway -----------------------------------------------------------

function isJson(type) {
  return type === "application/json" || type.endsWith("+json");
}

async function send(method, url, { body, type, headers = {} } = {}) {
  const sent = { Accept: ACCEPT, ...headers };
  if (type) sent["Content-Type"] = type;
  // The session's CSRF token goes to this gateway only.
  if (!SAFE.has(method) && csrfToken && isGateway(new URL(url, ROOT))) {
    sent["X-CSRF-Token"] = csrfToken;
  }
  const result = { method, url: String(url), status: 0, statusText: "", type: "" };
  let response;
  try {
    // Redirects are not followed: a stream or another site would load on this page.
    response = await fetch(url, { method, headers: sent, body, redirect: "manual" });
  } catch (error) {
    result.failure = `the request failed: ${error.message}`;
    return result;
  }
  result.status = response.status;
  result.statusText = response.statusText;
  result.redirected = response.type === "opaqueredirect";
  result.type = (response.headers.get("Content-Type") || "").split(";")[0].trim().toLowerCase();
  result.location = response.headers.get("Location");
  result.link = response.headers.get("Link");
  result.size = response.headers.get("Content-Length");
  if (isJson(result.type)) {
    const text = await response.text();
    try {
      result.data = text ? JSON.parse(text) : null;
    } catch {
      result.failure = "the answer says it is JSON but does not parse";
    }
  } else if (response.body) {
    await response.body.cancel(); // shown as a link, never read here
  }
  if (result.status === 401) showLogin();
  return result;
}

// --- logging in --------------------------------------------------------------------------

function showWho(me) {
  const who = document.getElementById("who");
  const logout = document.getElementById("logout");
  if (me) {
    who.textContent = `${me.name} (${(me.roles || []).join(", ") || "no role"})`;
    logout.hidden = false;
    document.getElementById("login").hidden = true;
  } else {
    who.textContent = "not logged in";
    logout.hidden = true;
  }
}

function showLogin() {
  csrfToken = null;
  showWho(null);
  document.getElementById("login").hidden = false;
}

async function whoAmI() {
  const result = await send("GET", new URL("auth/me", ROOT));
  if (result.status === 200 && result.data) {
    csrfToken = result.data.csrf_token || null;
    showWho(result.data);
  }
}

async function logIn(event) {
  event.preventDefault();
  const form = event.target;
  const body = JSON.stringify({ username: form.username.value, password: form.password.value });
  const result = await send("POST", new URL("auth/login", ROOT), {
    body, type: "application/json",
  });
  const place = clear(document.getElementById("login-problem"));
  if (result.status === 200 && result.data) {
    csrfToken = result.data.csrf_token || null;
    form.password.value = "";
    showWho(result.data);
    load();
  } else {
    place.append(problemView(result.data || {}, result));
  }
}

// Single sign-on: the root links the login through the organisation's identity provider
// (gw:login-sso) when the gateway offers it; the whole page goes there, and comes back here.
async function offerSso() {
  const root = await send("GET", ROOT);
  const link = root.data && root.data._links && root.data._links["gw:login-sso"];
  if (!link || Array.isArray(link) || typeof link.href !== "string") return;
  const back = new URL(window.location.href);
  const href = link.templated
    ? expand(link.href, { return_to: back.pathname + back.search + back.hash })
    : link.href;
  const url = new URL(href, ROOT);
  if (!isGateway(url)) return;
  document.getElementById("login-sso-link").href = url.href;
  document.getElementById("login-sso").hidden = false;
}

// The provider's own logout, where a single sign-on session ends (the gw:sso-logout Link).
const SSO_LOGOUT = /<([^>]*)>\s*;\s*rel="?gw:sso-logout"?/;

async function logOut() {
  const result = await send("POST", new URL("auth/logout", ROOT));
  const provider = (result.link || "").match(SSO_LOGOUT);
  if (result.status === 204 && provider) {
    const url = new URL(provider[1], ROOT);
    if (url.protocol === "https:" || url.protocol === "http:") {
      window.location.assign(url.href);
      return;
    }
  }
  showLogin();
  load();
}

// --- showing an answer -----------------------------------------------------------------

function statusLine(result) {
  const failed = result.failure || result.status === 0 || result.status >= 400;
  const said = result.failure ||
    `${result.status} ${result.statusText}${result.type ? ` (${result.type})` : ""}`;
  return el("div", { class: failed ? "status failed" : "status", id: "status" },
    `${result.method} ${result.url} → ${said}`);
}

function render(result) {
  const place = clear(view());
  place.append(statusLine(result));
  if (result.redirected) {
    place.append(el("p", {},
      "The gateway sends this request elsewhere (a stream or another site): ",
      el("a", { href: result.url, target: "_blank", rel: "noopener noreferrer" },
        "open it in a new tab"), "."));
  } else if (result.type === PROBLEM) {
    place.append(problemView(result.data || {}, result));
  } else if (result.data && typeof result.data === "object" && !Array.isArray(result.data)) {
    place.append(resourceView(result.data, { top: true }));
  } else if (result.data !== undefined && result.data !== null) {
    place.append(el("pre", {}, JSON.stringify(result.data, null, 2)));
  } else if (!result.failure && result.status >= 200 && result.status < 300 && !result.type) {
    place.append(el("p", { class: "note" }, "No content."));
  } else if (result.type) {
    place.append(bytesView(result));
  }
  if (result.location) {
    place.append(el("p", {}, "Location: ", resourceLink(result.location)));
  }
}

function bytesView(result) {
  // Relayed content is what somebody uploaded: it is never shown on this page.
  const size = result.size ? `, ${result.size} bytes` : "";
  const page = result.type === "text/html";
  return el("p", { class: "note" },
    `This resource is ${result.type}${size}; it is not shown here: `,
    el("a", page
      ? { href: result.url, target: "_blank", rel: "noopener noreferrer" }
      : { href: result.url, download: "" },
    page ? "open it in a new tab" : "download it"), ".");
}

const PROBLEM_MEMBERS = ["status", "title", "detail", "code", "incident", "backend",
  "upstream_status", "upstream_code", "transient"];

function problemView(problem, result) {
  const list = el("dl");
  const add = (name, value) => list.append(el("dt", {}, name), el("dd", {}, value));
  for (const name of PROBLEM_MEMBERS) {
    if (problem[name] !== undefined && problem[name] !== null) add(name, String(problem[name]));
  }
  for (const issue of problem.invalid_params || []) add(`invalid: ${issue.name}`, issue.reason);
  for (const message of problem.errors || []) add("upstream says", String(message));
  const rest = Object.fromEntries(Object.entries(problem).filter(([k]) =>
    !PROBLEM_MEMBERS.includes(k) && !["type", "invalid_params", "errors"].includes(k)));
  if (Object.keys(rest).length) add("more", el("pre", {}, JSON.stringify(rest, null, 2)));
  if (typeof problem.type === "string" && /^https?:/.test(problem.type)) {
    add("type", el("a", { href: problem.type, target: "_blank", rel: "noopener noreferrer" },
      problem.type));
  }
  return el("section", { class: "problem", "data-status": result.status },
    el("h2", {}, `Problem: ${problem.title || result.statusText || "the request failed"}`), list);
}

function resourceLink(href) {
  const url = safeUrl(href);
  if (!url) return el("code", {}, String(href));
  if (isGateway(url)) return el("a", { href: hashOf(url) }, url.href);
  if (url.protocol === "http:" || url.protocol === "https:") {
    return el("a", { href: url.href, target: "_blank", rel: "noopener noreferrer" }, url.href);
  }
  return el("code", {}, href); // never a javascript: or data: link
}

function valueView(value) {
  if (value !== null && typeof value === "object") {
    return el("pre", {}, JSON.stringify(value, null, 2));
  }
  return el("span", {}, value === null ? "null" : String(value));
}

function curieDoc(rel, curies) {
  const [prefix, name] = rel.includes(":") ? rel.split(/:(.*)/s) : [null, null];
  const curie = (curies || []).find((c) => c.name === prefix);
  if (!curie || !name) return null;
  const url = safeUrl(expand(curie.href, { rel: name }));
  // Like every link: http(s) only, never a javascript: or data: URL from upstream data.
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) return null;
  return el("a", { href: url.href, target: "_blank", rel: "noopener noreferrer", class: "doc",
    title: `What ${rel} means` }, "(doc)");
}

function linkCell(rel, link) {
  if (!link.templated) return resourceLink(link.href);
  // A templated link opens a small form for its variables.
  const form = el("form", { class: "expand", "data-rel": rel });
  for (const name of variables(link.href)) {
    const id = `v-${rel}-${link.name || ""}-${name}`.replace(/[^A-Za-z0-9_-]/g, "_");
    form.append(el("label", { for: id }, name), el("input", { id, name, type: "text" }));
  }
  form.append(el("button", { type: "submit" }, "Go"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    go(expand(link.href, values));
  });
  return el("div", {}, el("code", {}, link.href), form);
}

function linksView(links) {
  const body = el("tbody");
  for (const [rel, value] of Object.entries(links)) {
    if (rel === "curies") continue;
    for (const link of Array.isArray(value) ? value : [value]) {
      if (!link || typeof link.href !== "string") continue;
      const label = [link.name, link.title].filter(Boolean).join(": ");
      body.append(el("tr", { "data-rel": rel },
        el("th", {}, rel, curieDoc(rel, links.curies)),
        el("td", {}, label, link.type ? el("span", { class: "note" }, ` (${link.type})`) : null),
        el("td", { class: "href" }, linkCell(rel, link))));
    }
  }
  return el("table", { class: "links" },
    el("thead", {}, el("tr", {}, el("th", {}, "relation"), el("th", {}, "name"),
      el("th", {}, "link"))), body);
}

function propertiesView(doc) {
  const body = el("tbody");
  for (const [name, value] of Object.entries(doc)) {
    if (name.startsWith("_")) continue;
    body.append(el("tr", { "data-property": name }, el("th", {}, name), el("td", {},
      valueView(value))));
  }
  return el("table", { class: "properties" }, body);
}

function summaryOf(rel, doc) {
  const name = doc.title ?? doc.name ?? doc.label ?? doc.id ?? doc.filename;
  return name === undefined || name === null ? rel : `${rel}: ${name}`;
}

function resourceView(doc, { top = false } = {}) {
  const section = el("section", { class: top ? "resource" : "resource embedded-resource" });
  const hasProperties = Object.keys(doc).some((k) => !k.startsWith("_"));
  if (hasProperties) section.append(el("h2", {}, "Properties"), propertiesView(doc));
  if (doc._links) section.append(el("h2", {}, "Links"), linksView(doc._links));
  if (top && doc._templates) section.append(el("h2", {}, "Forms"), templatesView(doc));
  if (doc._embedded) {
    section.append(el("h2", {}, "Embedded"));
    for (const [rel, value] of Object.entries(doc._embedded)) {
      for (const child of Array.isArray(value) ? value : [value]) {
        if (!child || typeof child !== "object") continue;
        section.append(el("details", { class: "embedded", "data-rel": rel },
          el("summary", {}, summaryOf(rel, child)), resourceView(child)));
      }
    }
  }
  return section;
}

// --- HAL-FORMS templates ---------------------------------------------------------------

function fieldOf(key, property) {
  const id = `f-${key}-${property.name}`.replace(/[^A-Za-z0-9_-]/g, "_");
  const attrs = { id, name: property.name, required: Boolean(property.required) };
  let input;
  const options = property.options?.inline;
  if (Array.isArray(options)) {
    input = el("select", attrs, property.required ? null : el("option", { value: "" }, "—"));
    for (const option of options) {
      const value = typeof option === "object" ? option.value : option;
      const prompt = typeof option === "object" ? option.prompt ?? option.value : option;
      input.append(el("option", { value, selected: property.value === value }, prompt));
    }
  } else if (property.type === "textarea") {
    input = el("textarea", { ...attrs, rows: 6 });
    input.value = property.value ?? "";
  } else if (property.type === "checkbox") {
    input = el("input", { ...attrs, type: "checkbox", required: false });
    input.checked = property.value === "true";
  } else {
    const type = property.type || "text";
    input = el("input", { ...attrs, type, pattern: property.regex || null });
    if (type !== "file") input.value = property.value ?? "";
  }
  const prompt = property.prompt || property.name;
  return [el("label", { for: id }, prompt, property.required ? el("span",
    { class: "required", title: "required" }, " *") : null), input];
}

function jsonBody(form, properties) {
  const body = {};
  for (const property of properties) {
    const input = form.elements.namedItem(property.name);
    if (!input) continue;
    if (property.type === "checkbox") body[property.name] = input.checked;
    else if (input.value === "") continue; // left out, not sent empty
    else if (property.type === "number") body[property.name] = Number(input.value);
    else body[property.name] = input.value;
  }
  return JSON.stringify(body);
}

function requestOf(form, template) {
  const properties = template.properties || [];
  const type = template.contentType || "application/json";
  if (!properties.length) return {};
  if (type === "multipart/form-data") {
    const data = new FormData();
    for (const property of properties) {
      const input = form.elements.namedItem(property.name);
      if (property.type === "file") {
        if (input.files[0]) data.append(property.name, input.files[0]);
      } else if (input.value !== "") {
        data.append(property.name, input.value);
      }
    }
    return { body: data }; // the browser writes the boundary
  }
  if (type.includes("*") || !isJson(type)) {
    // A media range: the file's bytes are the body, in its own type, named by the header.
    const file = form.querySelector("input[type=file]").files[0];
    return {
      body: file,
      type: file.type || "application/octet-stream",
      headers: { "Content-Disposition": `attachment; filename*=UTF-8''${strict(file.name)}` },
    };
  }
  return { body: jsonBody(form, properties), type };
}

async function submitted(event, template) {
  event.preventDefault();
  const button = event.target.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const result = await send(template.method, new URL(template.target || current(), ROOT),
      requestOf(event.target, template));
    const made = (result.status === 201 || result.status === 202) && result.location;
    if (made && isGateway(new URL(result.location, ROOT))) go(result.location);
    else render(result);
  } finally {
    button.disabled = false;
  }
}

function templatesView(doc) {
  const place = el("div", { class: "templates" });
  for (const [key, template] of Object.entries(doc._templates)) {
    const method = (template.method || "GET").toUpperCase();
    const type = template.contentType || "application/json";
    const form = el("form", { class: "template", "data-template": key },
      el("div", { class: "what" }, template.title || key, " ",
        el("code", {}, `${method} ${template.target || ""} (${type})`)));
    for (const property of template.properties || []) {
      form.append(...fieldOf(key, property));
    }
    form.append(el("button", { type: "submit" }, method));
    form.addEventListener("submit", (event) => submitted(event, { ...template, method }));
    place.append(form);
  }
  return place;
}

// --- start ------------------------------------------------------------------------------

async function load() {
  const url = current();
  document.getElementById("address").value = url.href;
  render(await send("GET", url));
}

function start() {
  document.getElementById("login-form").addEventListener("submit", logIn);
  document.getElementById("logout").addEventListener("click", logOut);
  document.getElementById("address-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(document.getElementById("address").value, ROOT);
    if (isGateway(url)) go(url);
  });
  window.addEventListener("hashchange", load);
  showWho(null);
  whoAmI().then(() => {
    if (!csrfToken) {
      showLogin();
      offerSso();
    }
    load();
  });
}

start();
