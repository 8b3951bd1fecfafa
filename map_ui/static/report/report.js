// 행복-맵 mobile report form. The token lives only in this module's memory (never in storage);
// everything shown is set with textContent.

import { INDICATORS } from '/vocab.js'; // the server's one vocabulary (app/vocab.py)

const MAX_PHOTOS = 3;
const MAX_SIDE = 1600; // photos are shrunk on the phone before upload when the browser can decode them

const state = { token: null, coords: null, busy: false };
const $ = (id) => document.getElementById(id);

function show(id, visible) { $(id).hidden = !visible; }

function say(id, text) {
  const node = $(id);
  node.textContent = text || "";
  node.hidden = !text;
}

function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function errorText(body, status) {
  if (body && typeof body.detail === "string") return body.detail;
  if (status === 413) return "보내는 내용이 너무 큽니다. 사진 수나 크기를 줄여 주세요.";
  if (status === 429) return "요청이 너무 잦습니다. 잠시 후 다시 시도하세요.";
  return "요청을 처리하지 못했습니다. 잠시 후 다시 시도하세요.";
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}), "X-Happymap-Client": "report-form" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch {
    throw Object.assign(new Error("네트워크에 연결할 수 없습니다. 연결을 확인하고 다시 시도하세요."), { status: 0 });
  }
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (response.status === 401 && state.token) {
    signedOut("로그인이 만료되었습니다. 다시 로그인하세요.");
  }
  if (!response.ok) throw Object.assign(new Error(errorText(body, response.status)), { status: response.status });
  return body;
}

function buildIndicators() {
  const box = $("indicators");
  for (const [code, label] of Object.entries(INDICATORS)) {
    const wrap = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.name = "indicators";
    input.value = code;
    const text = document.createElement("span");
    text.textContent = label;
    wrap.append(input, text);
    box.append(wrap);
  }
}

function signedOut(message) {
  state.token = null;
  $("who").textContent = "";
  show("logout", false);
  for (const id of ["form-view", "receipt-view", "mine-view"]) show(id, false);
  show("login-view", true);
  say("login-message", message || "");
}

async function signIn(event) {
  event.preventDefault();
  const username = $("username").value.trim();
  const password = $("password").value;
  if (!username || !password) {
    say("login-message", "아이디와 비밀번호를 입력하세요.");
    return;
  }
  $("login-submit").disabled = true;
  try {
    const token = await api("/api/v1/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username, password }),
    });
    state.token = token.access_token;
    $("password").value = "";
    const me = await api("/api/v1/auth/me");
    $("who").textContent = me.username;
    say("login-message", "");
    show("login-view", false);
    show("logout", true);
    show("form-view", true);
    show("mine-view", true);
    await loadMine();
  } catch (error) {
    say("login-message", error.message);
  } finally {
    $("login-submit").disabled = false;
  }
}

async function signOutClicked() {
  try { await api("/api/v1/auth/logout", { method: "POST" }); } catch { /* signed out locally anyway */ }
  signedOut("로그아웃했습니다.");
}

function useLocation() {
  if (!("geolocation" in navigator)) {
    say("geo-status", "이 기기에서는 위치를 쓸 수 없습니다. 주소를 적어 주세요.");
    return;
  }
  $("geo-button").disabled = true;
  $("geo-status").textContent = "위치를 확인하는 중…";
  navigator.geolocation.getCurrentPosition((position) => {
    const { longitude, latitude, accuracy } = position.coords;
    state.coords = { lon: longitude, lat: latitude };
    $("geo-status").textContent = `현재 위치를 함께 보냅니다 (오차 약 ${Math.round(accuracy || 0)} m).`;
    show("geo-clear", true);
    $("geo-button").disabled = false;
  }, (error) => {
    state.coords = null;
    $("geo-status").textContent = error.code === 1
      ? "위치 권한이 거부되었습니다. 주소를 적어 주세요."
      : "위치를 확인하지 못했습니다. 주소를 적어 주세요.";
    $("geo-button").disabled = false;
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
}

function clearLocation() {
  state.coords = null;
  show("geo-clear", false);
  $("geo-status").textContent = "현재 위치를 쓰거나 아래에 주소를 적어 주세요.";
}

async function shrink(file) {
  // HEIC and anything the browser cannot decode goes up as it is (the server checks the type).
  if (!/^image\/(jpeg|png|webp)$/.test(file.type) || typeof createImageBitmap !== "function") return file;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size < 1024 * 1024) return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    return blob ? new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }) : file;
  } catch {
    return file;
  }
}

function collect() {
  const description = $("description").value.trim();
  const address = $("address").value.trim();
  const contact = $("contact").value.trim();
  const indicators = [...document.querySelectorAll("#indicators input:checked")].map((i) => i.value);
  return { description, address, contact, indicators };
}

async function submitReport(event) {
  event.preventDefault();
  if (state.busy) return;
  const data = collect();
  const files = [...$("photos").files];
  if (!data.description) {
    say("form-message", "어떤 상황인지 적어 주세요.");
    $("description").focus();
    return;
  }
  if (files.length > MAX_PHOTOS) {
    say("form-message", `사진은 ${MAX_PHOTOS}장까지 올릴 수 있습니다.`);
    return;
  }
  state.busy = true;
  $("submit").disabled = true;
  say("form-message", "");
  try {
    let options;
    if (files.length) {
      const form = new FormData();
      form.append("description", data.description);
      if (state.coords) {
        form.append("lon", String(state.coords.lon));
        form.append("lat", String(state.coords.lat));
      }
      if (data.address) form.append("address", data.address);
      if (data.contact) form.append("reporter_contact", data.contact);
      for (const code of data.indicators) form.append("indicators", code);
      for (const file of files) form.append("photos", await shrink(file));
      options = { method: "POST", body: form };
    } else {
      const body = { description: data.description, indicators: data.indicators };
      if (state.coords) Object.assign(body, state.coords);
      if (data.address) body.address = data.address;
      if (data.contact) body.reporter_contact = data.contact;
      options = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    }
    const created = await api("/api/v1/reports", options);
    showReceipt(created);
    $("report-form").reset();
    clearLocation();
    await loadMine();
  } catch (error) {
    if (error.status !== 401) say("form-message", error.message);
  } finally {
    state.busy = false;
    $("submit").disabled = false;
  }
}

function showReceipt(created) {
  $("receipt-no").textContent = created.receipt_no;
  $("receipt-status").textContent = `상태: ${created.status_label}`;
  $("receipt-note").textContent = created.needs_location
    ? "위치를 확인한 뒤 담당 동 주민센터로 전달합니다."
    : "담당 동 주민센터로 전달했습니다.";
  show("form-view", false);
  show("receipt-view", true);
  window.scrollTo(0, 0);
}

function newReport() {
  show("receipt-view", false);
  show("form-view", true);
  $("description").focus();
}

async function loadMine() {
  let page;
  try {
    page = await api("/api/v1/reports?limit=20");
  } catch (error) {
    if (error.status !== 401) say("notice", error.message);
    return;
  }
  say("notice", "");
  const list = $("mine");
  list.replaceChildren();
  show("mine-empty", page.items.length === 0);
  for (const item of page.items) {
    const li = document.createElement("li");
    li.dataset.receipt = item.receipt_no;
    const top = document.createElement("div");
    top.className = "top";
    const no = document.createElement("span");
    no.className = "no";
    no.textContent = item.receipt_no;
    const badge = document.createElement("span");
    badge.className = `badge ${item.status}`;
    badge.textContent = item.status_label;
    top.append(no, badge);
    const when = document.createElement("p");
    when.className = "hint";
    when.textContent = formatTime(item.created_at);
    const desc = document.createElement("p");
    desc.className = "desc";
    desc.textContent = item.description.length > 80 ? item.description.slice(0, 80) + "…" : item.description;
    const note = document.createElement("p");
    note.className = "hint note";
    note.textContent = item.status_note || "";
    li.append(top, when, desc, note);
    list.append(li);
  }
}

buildIndicators();
$("login-form").addEventListener("submit", signIn);
$("login-submit").disabled = false; // disabled in the page until now: a native submit would GET the password
$("logout").addEventListener("click", signOutClicked);
$("geo-button").addEventListener("click", useLocation);
$("geo-clear").addEventListener("click", clearLocation);
$("report-form").addEventListener("submit", submitReport);
$("description").addEventListener("input", () => say("form-message", ""));
$("new-report").addEventListener("click", newReport);
$("refresh").addEventListener("click", loadMine);
