/* Aftercare companion: pairing, reports (online and offline), the answer and help, history, check-ins.
   Talks only to the public API (/api/v1). Tokens and the crisis contacts live in localStorage; reports
   not yet sent live in IndexedDB with their client_report_id, so a resend is never stored twice. */
"use strict";
(function () {
  const API = "/api/v1";
  const KEYS = { tokens: "aftercare.tokens", crisis: "aftercare.crisis", vocab: "aftercare.vocabulary", lang: "aftercare.language", refused: "aftercare.refused" };
  const STRINGS = window.AFTERCARE_STRINGS;
  const $ = (id) => document.getElementById(id);
  let lang = "en";
  let vocabulary = null;
  let currentCheckin = null;
  let lastReportId = null;
  let refreshing = null;

  // --- words -------------------------------------------------------------------------------------
  function pickLanguage(setting) {
    const chosen = setting || localStorage.getItem(KEYS.lang) || (navigator.language || "en");
    lang = chosen.toLowerCase().startsWith("es") ? "es" : "en";
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  }
  function t(key, values) {
    let text = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
    Object.entries(values || {}).forEach(([k, v]) => { text = text.replace("{" + k + "}", v); });
    return text;
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v; else node.setAttribute(k, v === true ? "" : v);
    });
    children.forEach((child) => node.append(child));
    return node;
  }

  // --- tokens ------------------------------------------------------------------------------------
  function tokens() { try { return JSON.parse(localStorage.getItem(KEYS.tokens)); } catch (e) { return null; } }
  function saveTokens(pair) {
    localStorage.setItem(KEYS.tokens, JSON.stringify({ access: pair.access_token, refresh: pair.refresh_token, expires: Date.now() + pair.expires_in * 1000 }));
  }
  class Offline extends Error {}
  class SignedOut extends Error {}
  class Refused extends Error { constructor(status, body) { super("HTTP " + status); this.status = status; this.body = body; } }

  async function raw(path, options) {
    try { return await fetch(API + path, options); } catch (e) { throw new Offline(String(e)); }
  }
  async function refresh() {
    // One refresh at a time: a second caller waits for the same answer (the server would see a reuse otherwise).
    if (!refreshing) {
      refreshing = (async () => {
        const held = tokens();
        if (!held) throw new SignedOut();
        const response = await raw("/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: held.refresh }) });
        if (response.status === 401) { localStorage.removeItem(KEYS.tokens); throw new SignedOut(); }
        if (!response.ok) throw new Refused(response.status, null);
        saveTokens(await response.json());
      })().finally(() => { refreshing = null; });
    }
    return refreshing;
  }
  async function api(path, options) {
    options = options || {};
    let held = tokens();
    if (!held) throw new SignedOut();
    if (held.expires - Date.now() < 30000) { await refresh(); held = tokens(); }
    const send = () => {
      const headers = { Authorization: "Bearer " + tokens().access };
      if (options.body !== undefined) headers["Content-Type"] = "application/json";
      return raw(path, { method: options.method || "GET", headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    };
    let response = await send();
    if (response.status === 401) { await refresh(); response = await send(); }
    if (response.status === 401) { localStorage.removeItem(KEYS.tokens); throw new SignedOut(); }
    const body = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new Refused(response.status, body);
    return { status: response.status, body };
  }

  // --- the queue of reports on this phone (IndexedDB) ----------------------------------------------
  let dbPromise = null;
  function database() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open("aftercare", 1);
        request.onupgradeneeded = () => { request.result.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true }); };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }
  async function store(mode, work) {
    const db = await database();
    return new Promise((resolve, reject) => {
      const tx = db.transaction("outbox", mode);
      const result = work(tx.objectStore("outbox"));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }
  const queued = () => store("readonly", (s) => s.getAll());
  const enqueue = (report) => store("readwrite", (s) => s.add({ report, saved_at: new Date().toISOString() }));
  const dequeue = (seq) => store("readwrite", (s) => s.delete(seq));

  // A report the service refused for good (a 4xx other than sign-in or "slow down") leaves the queue, so it is not
  // resent for ever, but not the phone: it stays in a list of its own, shown in the history with what to do,
  // until the patient removes it. Nothing the patient wrote disappears without them seeing it.
  const TRANSIENT = [401, 408, 425, 429];
  const refusedForGood = (status) => status >= 400 && status < 500 && !TRANSIENT.includes(status);
  function refusedList() { try { return JSON.parse(localStorage.getItem(KEYS.refused)) || []; } catch (e) { return []; } }
  function keepRefused(list) { localStorage.setItem(KEYS.refused, JSON.stringify(list)); }
  async function setAside(item, status) {
    keepRefused([...refusedList().filter((r) => r.report.client_report_id !== item.report.client_report_id),
      { report: item.report, saved_at: item.saved_at, status, refused_at: new Date().toISOString() }]);
    await dequeue(item.seq);
  }
  function forgetRefused(clientReportId) {
    keepRefused(refusedList().filter((r) => r.report.client_report_id !== clientReportId));
  }

  let sendChain = Promise.resolve();
  function flush() {
    // Sends run one after another (each reads the queue afresh), so a report is never in two sends at once.
    const run = sendChain.then(sendQueued);
    sendChain = run.catch(() => {});
    return run;
  }
  async function sendQueued() {
    // Oldest first; each item leaves the phone only once the service has it (201, or 200 for a replay).
    const items = await queued();
    if (!items.length || !tokens()) return [];
    const answers = [];
    if (items.length === 1) {
      let body;
      try { ({ body } = await api("/me/reports", { method: "POST", body: items[0].report })); } catch (e) {
        if (e instanceof Refused && refusedForGood(e.status)) await setAside(items[0], e.status);
        throw e;
      }
      await dequeue(items[0].seq);
      answers.push({ client_report_id: body.client_report_id, id: body.id, triage: body.triage });
    } else {
      const { body } = await api("/me/reports/batch", { method: "POST", body: { reports: items.slice(0, 100).map((i) => i.report) } });
      for (let n = 0; n < body.results.length; n += 1) {
        const result = body.results[n];
        if (result.status === 200 || result.status === 201) { await dequeue(items[n].seq); answers.push(result); }
        else if (refusedForGood(result.status)) await setAside(items[n], result.status);
      }
    }
    return answers;
  }
  async function showWaiting(message) {
    const count = (await queued()).length;
    const parts = [];
    if (!navigator.onLine) parts.push(t("offline_now"));
    if (count) parts.push(count === 1 ? t("waiting_one") : t("waiting_many", { n: count }));
    const refused = refusedList().length;
    if (refused) parts.push(refused === 1 ? t("refused_one") : t("refused_many", { n: refused }));
    if (!parts.length && message) parts.push(message);
    $("status").textContent = parts.join(" ");
  }
  async function trySending() {
    const before = (await queued()).length;
    try { await flush(); } catch (e) { if (e instanceof SignedOut) return showPair(t("signed_out")); }
    const after = (await queued()).length;
    await showWaiting(before && !after ? t("sent_all") : "");
    if (!$("screen-history").hidden) showHistory();
  }

  // --- screens -----------------------------------------------------------------------------------
  function show(name) {
    document.querySelectorAll(".screen").forEach((s) => { s.hidden = s.id !== "screen-" + name; });
    $("nav").hidden = name === "pair" || name === "loading";
    ["report", "history", "help"].forEach((n) => {
      if (n === name) $("nav-" + n).setAttribute("aria-current", "page"); else $("nav-" + n).removeAttribute("aria-current");
    });
    $("main").focus();
    window.scrollTo(0, 0);
  }

  // The clinic's link carries the code after "#", which a browser never sends to a server (so it is in
  // no access log); it leaves the address bar and the history once read.
  function codeFromLink() {
    const code = new URLSearchParams(location.hash.slice(1)).get("code");
    if (code) {
      $("pair-code").value = code;
      history.replaceState(null, "", location.pathname);
    }
  }
  window.addEventListener("hashchange", codeFromLink);

  function showPair(message) {
    codeFromLink();
    $("pair-error").hidden = !message;
    $("pair-error").textContent = message || "";
    show("pair");
  }
  async function pair(event) {
    event.preventDefault();
    const code = $("pair-code").value.trim();
    $("pair-error").hidden = true;
    if (code.length < 4) { $("pair-error").textContent = t("pair_failed"); $("pair-error").hidden = false; return; }
    let response;
    try {
      response = await raw("/auth/enroll", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code, device_name: "Phone browser", platform: "web" }) });
    } catch (e) { $("pair-error").textContent = t("pair_offline"); $("pair-error").hidden = false; return; }
    if (!response.ok) { $("pair-error").textContent = t("pair_failed"); $("pair-error").hidden = false; return; }
    saveTokens(await response.json());
    history.replaceState(null, "", "/app/");
    await start({ askForPush: true });
  }

  // --- web push: check-in prompts on the lock screen (no health detail; the text comes from the server) ---
  function keyBytes(base64url) {
    const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - base64url.length % 4) % 4));
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  }
  function sameKey(buffer, bytes) {
    if (!buffer) return false;
    const held = new Uint8Array(buffer);
    return held.length === bytes.length && held.every((b, i) => b === bytes[i]);
  }
  async function subscribePush(askForPush) {
    // Asked once, right after pairing; later starts only renew a subscription the patient already allowed.
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;
    try {
      let permission = Notification.permission;
      if (permission === "default" && askForPush) permission = await Notification.requestPermission();
      if (permission !== "granted") return;
      const registration = await navigator.serviceWorker.ready;
      const key = keyBytes((await api("/me/push/vapid-public-key")).body.public_key);
      let subscription = await registration.pushManager.getSubscription();
      if (subscription && !sameKey(subscription.options && subscription.options.applicationServerKey, key)) {
        await subscription.unsubscribe();
        subscription = null;
      }
      if (!subscription) subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      await api("/me/push-subscription", { method: "PUT", body: subscription.toJSON() });
    } catch (e) { /* push is a convenience: check-ins still show in the app */ }
  }
  async function unsubscribePush() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) return;
    try {
      const registration = await navigator.serviceWorker.getRegistration("/app/");
      const subscription = registration && await registration.pushManager.getSubscription();
      if (subscription) await subscription.unsubscribe();
    } catch (e) { /* the server forgets it with the signed-out phone anyway */ }
  }
  async function signOut() {
    const held = tokens();
    try { if (held) await api("/me/push-subscription", { method: "DELETE" }); } catch (e) { /* best effort */ }
    try { if (held) await api("/auth/logout", { method: "POST", body: { refresh_token: held.refresh } }); } catch (e) { /* signed out on this phone anyway */ }
    localStorage.removeItem(KEYS.tokens);
    localStorage.removeItem(KEYS.crisis);
    await unsubscribePush();
    showPair();
  }

  async function loadProfile() {
    // The patient's language, the symptom words and the crisis contacts, kept for when the phone is offline.
    try {
      const me = (await api("/me")).body;
      if (me.language) { localStorage.setItem(KEYS.lang, me.language); pickLanguage(me.language); }
    } catch (e) { if (e instanceof SignedOut) throw e; }
    try {
      vocabulary = (await api("/symptoms?language=" + lang)).body;
      localStorage.setItem(KEYS.vocab, JSON.stringify(vocabulary));
    } catch (e) { if (e instanceof SignedOut) throw e; }
    try {
      const crisis = (await api("/me/crisis-resources")).body;
      localStorage.setItem(KEYS.crisis, JSON.stringify(crisis.crisis_resources));
    } catch (e) { if (e instanceof SignedOut) throw e; }
    if (!vocabulary) { try { vocabulary = JSON.parse(localStorage.getItem(KEYS.vocab)); } catch (e) { vocabulary = null; } }
  }

  function buildReportForm(checkin) {
    currentCheckin = checkin || null;
    $("report-form").reset();
    $("report-error").hidden = true;
    $("checkin-note").hidden = !checkin;
    $("checkin-note").textContent = t(checkin && checkin.kind === "long_term" ? "long_term_note" : "checkin_note");
    const list = $("symptom-list");
    list.replaceChildren();
    if (!vocabulary) { list.append(el("p", { class: "error", text: t("symptoms_unavailable") })); }
    const scale = vocabulary ? vocabulary.severity_scale.filter((level) => level.value > 0) : [];
    (vocabulary ? vocabulary.symptoms : []).forEach((symptom) => {
      const box = el("input", { type: "checkbox", id: "sym-" + symptom.code, value: symptom.code, "aria-controls": "sev-" + symptom.code, "aria-expanded": "false" });
      const severity = el("fieldset", { class: "severity", id: "sev-" + symptom.code, hidden: true }, el("legend", { text: t("severity_of") }));
      scale.forEach((level) => {
        const radio = el("input", { type: "radio", name: "sev-" + symptom.code, value: String(level.value), checked: level.value === 1 });
        severity.append(el("label", { class: "chip" }, radio, el("span", { text: level.label })));
      });
      box.addEventListener("change", () => { severity.hidden = !box.checked; box.setAttribute("aria-expanded", String(box.checked)); });
      list.append(el("div", { class: "symptom" }, el("label", { class: "pick", for: "sym-" + symptom.code }, box, el("span", { text: symptom.label })), severity));
    });
    const moods = $("mood-list");
    moods.replaceChildren();
    for (let n = 0; n <= 10; n += 1) moods.append(el("label", { class: "chip" }, el("input", { type: "radio", name: "mood", value: String(n) }), el("span", { text: String(n) })));
    document.querySelectorAll(".phq9").forEach((node) => node.remove());
    if (checkin && checkin.asks_phq9) {
      const set = el("fieldset", { class: "phq9" }, el("legend", { text: t("phq9_legend") }));
      window.AFTERCARE_PHQ9[lang].forEach((question, i) => {
        const group = el("fieldset", { class: "severity" }, el("legend", { text: (i + 1) + ". " + question }));
        for (let v = 0; v <= 3; v += 1) group.append(el("label", { class: "chip" }, el("input", { type: "radio", name: "phq9-" + i, value: String(v) }), el("span", { text: t("phq9_" + v) })));
        set.append(group);
      });
      document.querySelector("label[for=note]").before(set);
    }
    // The questions a check-in asks besides the usual report (the quarterly long-term one): each answered on its own.
    document.querySelectorAll(".long-term").forEach((node) => node.remove());
    const questions = (checkin && checkin.questions) || [];
    if (questions.length) {
      const set = el("fieldset", { class: "long-term" }, el("legend", { text: t("long_term_legend") }));
      const levels = vocabulary ? vocabulary.severity_scale : [0, 1, 2, 3, 4].map((value) => ({ value, label: String(value) }));
      questions.forEach((question) => {
        const group = el("fieldset", { class: "severity" }, el("legend", { text: question.label }));
        const choices = question.answer === "yes_no" ? [["yes", t("yes")], ["no", t("no")]] : levels.map((level) => [String(level.value), level.label]);
        choices.forEach(([value, label]) => group.append(el("label", { class: "chip" }, el("input", { type: "radio", name: "lt-" + question.code, value }), el("span", { text: label }))));
        set.append(group);
      });
      $("symptoms").before(set);  // first: they are what this check-in is for
    }
  }
  function showReport(checkin) { buildReportForm(checkin); show("report"); }

  function readReport() {
    const report = { client_report_id: crypto.randomUUID(), observed_at: new Date().toISOString() };
    const symptoms = [];
    document.querySelectorAll("#symptom-list input[type=checkbox]:checked").forEach((box) => {
      const level = document.querySelector("input[name='sev-" + box.value + "']:checked");
      symptoms.push({ code: box.value, severity: level ? Number(level.value) : 1 });
    });
    if (symptoms.length) report.symptoms = symptoms;
    const mood = document.querySelector("input[name=mood]:checked");
    if (mood) report.mood = Number(mood.value);
    const suicidal = document.querySelector("input[name=suicidal]:checked");
    if (suicidal) report.suicidal_thoughts = suicidal.value === "yes";
    const vitals = {};
    [["systolic", "systolic"], ["diastolic", "diastolic"], ["heart-rate", "heart_rate"]].forEach(([id, key]) => { if ($(id).value) vitals[key] = Number($(id).value); });
    if (Object.keys(vitals).length) report.vitals = vitals;
    const note = $("note").value.trim();
    if (note) report.note = note;
    if (symptoms.some((s) => s.code === "other") && note) symptoms.find((s) => s.code === "other").note = note;
    if (currentCheckin) {
      report.checkin_id = currentCheckin.id;
      if (currentCheckin.asks_phq9) {
        const items = [];
        for (let i = 0; i < 9; i += 1) { const a = document.querySelector("input[name=phq9-" + i + "]:checked"); items.push(a ? Number(a.value) : null); }
        if (items.every((v) => v !== null)) report.phq9 = items;
      }
      (currentCheckin.questions || []).forEach((question) => {
        const answer = document.querySelector("input[name='lt-" + question.code + "']:checked");
        if (!answer) return;
        if (question.answer === "yes_no") { report[question.report_field] = answer.value === "yes"; return; }
        const ticked = symptoms.findIndex((s) => s.code === question.code);  // the question's answer wins
        if (ticked >= 0) symptoms.splice(ticked, 1);
        symptoms.push({ code: question.code, severity: Number(answer.value) });
      });
      if (symptoms.length) report.symptoms = symptoms;
    }
    return report;
  }
  async function submitReport(event) {
    event.preventDefault();
    const report = readReport();
    const content = ["symptoms", "mood", "suicidal_thoughts", "ketamine_outside_clinic", "vitals", "note", "phq9"].some((k) => k in report);
    const error = $("report-error");
    if (!content) { error.textContent = t("empty_report"); error.hidden = false; return; }
    if ((report.symptoms || []).some((s) => s.code === "other") && !report.note) { error.textContent = t("describe_other"); error.hidden = false; return; }
    error.hidden = true;
    const button = event.submitter || document.querySelector("#report-form button[type=submit]");
    button.disabled = true;
    // Saved on the phone first: whatever happens to the connection, the report is not lost.
    await enqueue(report);
    let answers = null;
    try { answers = await flush(); } catch (e) {
      if (e instanceof SignedOut) { button.disabled = false; return showPair(t("signed_out")); }
      if (e instanceof Refused && e.status < 500) {
        // The service refused this report: the form still holds it, so take it off the phone and say so here.
        const items = await queued();
        const mine = items.find((i) => i.report.client_report_id === report.client_report_id);
        if (mine) await dequeue(mine.seq);
        forgetRefused(report.client_report_id);
        error.textContent = t("problem"); error.hidden = false; button.disabled = false; return;
      }
    }
    button.disabled = false;
    const mine = (answers || []).find((a) => a.client_report_id === report.client_report_id);
    if (mine) showAnswer(mine); else showQueued(report);
    showWaiting("");
  }

  function resourceItems(list, resources) {
    list.replaceChildren();
    (resources || []).forEach((resource) => {
      const item = el("li", {}, el("p", { class: "who", text: resource.label }));
      if (resource.phone) item.append(el("a", { class: "call", href: "tel:" + resource.phone, text: t("call") + " " + resource.phone }));
      if (resource.sms) item.append(el("a", { class: "call text", href: "sms:" + resource.sms, text: t("text") + " " + resource.sms }));
      list.append(item);
    });
  }
  function cachedCrisis() { try { return JSON.parse(localStorage.getItem(KEYS.crisis)) || []; } catch (e) { return []; } }

  function showAnswer(answer) {
    const triage = answer.triage;
    lastReportId = answer.id;
    const crisis = triage.crisis_resources && triage.crisis_resources.length;
    $("crisis").hidden = !crisis;
    $("offline-crisis").hidden = true;
    if (crisis) { resourceItems($("crisis-list"), triage.crisis_resources); localStorage.setItem(KEYS.crisis, JSON.stringify(triage.crisis_resources)); }
    $("answer-title").textContent = t("answer_title");
    $("answer-message").textContent = triage.message;
    const advice = $("advice");
    advice.replaceChildren();
    (triage.advice || []).forEach((a) => advice.append(el("li", { text: a.text })));
    $("safety-result").hidden = true;
    const offer = triage.safety_screen;
    $("screen-offer").hidden = !offer;
    if (offer) buildSafetyScreen(offer);
    show("answer");
    // Crisis help comes first on the screen and first for a screen reader.
    if (crisis) $("crisis-title").focus();
  }
  function showQueued(report) {
    const critical = report.suicidal_thoughts === true;
    $("crisis").hidden = !critical;
    $("offline-crisis").hidden = !critical;
    if (critical) {
      const resources = cachedCrisis();
      resourceItems($("crisis-list"), resources);
      if (!resources.length) $("crisis-list").append(el("li", { text: t("help_none") }));
    }
    $("answer-title").textContent = t("queued_title");
    $("answer-message").textContent = t("queued_message");
    $("advice").replaceChildren();
    $("screen-offer").hidden = true;
    $("safety-result").hidden = true;
    show("answer");
    if (critical) $("crisis-title").focus();
  }

  let safetyOffer = null;
  function buildSafetyScreen(offer) {
    safetyOffer = offer;
    const box = $("safety-questions");
    box.replaceChildren();
    $("safety-error").hidden = true;
    offer.questions.forEach((question) => {
      const set = el("fieldset", { class: "severity", "data-key": question.key }, el("legend", { text: question.text }));
      if (question.asked_when) set.dataset.when = question.asked_when;
      ["yes", "no"].forEach((v) => set.append(el("label", { class: "chip" }, el("input", { type: "radio", name: "q-" + question.key, value: v }), el("span", { text: t(v) }))));
      box.append(set);
    });
    refreshFollowUps();
  }
  function answered(key) {
    const picked = document.querySelector("input[name='q-" + key + "']:checked");
    return picked ? picked.value === "yes" : null;
  }
  function refreshFollowUps() {
    // A follow-up question (asked_when) is shown only once the question it follows is answered yes.
    document.querySelectorAll("#safety-questions fieldset[data-when]").forEach((set) => { set.hidden = answered(set.dataset.when) !== true; });
  }
  async function submitSafety(event) {
    event.preventDefault();
    const answers = {};
    let missing = false;
    safetyOffer.questions.forEach((question) => {
      const asked = !question.asked_when || answered(question.asked_when) === true;
      const value = asked ? answered(question.key) : null;
      if (asked && value === null) missing = true;
      answers[question.key] = value;
    });
    if (missing) { $("safety-error").textContent = t("answer_all"); $("safety-error").hidden = false; return; }
    try {
      const { body } = await api(safetyOffer.path.replace(/^\/api\/v1/, ""), { method: "POST", body: answers });
      $("screen-offer").hidden = true;
      $("safety-result").textContent = body.message;
      $("safety-result").hidden = false;
      if (body.crisis_resources && body.crisis_resources.length) { $("crisis").hidden = false; resourceItems($("crisis-list"), body.crisis_resources); }
      $("safety-result").focus();
    } catch (e) {
      $("safety-error").textContent = e instanceof Offline ? t("offline_now") : t("problem");
      $("safety-error").hidden = false;
    }
  }

  function when(iso) {
    return new Date(iso).toLocaleString(lang === "es" ? "es" : "en", { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
  }
  async function showHistory() {
    show("history");
    const list = $("history-list");
    list.replaceChildren();
    const labels = {};
    (vocabulary ? vocabulary.symptoms : []).forEach((s) => { labels[s.code] = s.label; });
    const levels = {};
    (vocabulary ? vocabulary.severity_scale : []).forEach((l) => { levels[l.value] = l.label; });
    const describe = (report) => (report.symptoms || []).map((s) => (labels[s.code] || s.code) + " (" + (levels[s.severity] || s.severity) + ")").join(", ");
    refusedList().forEach((item) => {
      const remove = el("button", { type: "button", class: "secondary", text: t("refused_remove") });
      remove.addEventListener("click", () => { forgetRefused(item.report.client_report_id); showWaiting(""); showHistory(); });
      list.append(el("li", { class: "refused", "data-refused": item.report.client_report_id },
        el("p", { class: "when", text: when(item.report.observed_at) }), el("p", { text: describe(item.report) }),
        item.report.note ? el("p", { class: "note", text: item.report.note }) : "",
        el("p", { class: "refused-why", text: t("refused_here") }), remove));
    });
    (await queued()).forEach((item) => {
      list.append(el("li", {}, el("p", { class: "when", text: when(item.report.observed_at) }), el("p", { text: describe(item.report) }), el("p", { class: "waiting", text: t("waiting_here") })));
    });
    try {
      const checkins = (await api("/me/checkins?page_size=20")).body.filter((c) => c.status === "sent" || (c.status === "scheduled" && new Date(c.due_at) <= new Date()));
      const box = $("checkins");
      box.replaceChildren();
      if (checkins.length) box.append(el("h2", { text: t("checkins_title") }));
      checkins.forEach((c) => {
        const button = el("button", { type: "button", class: "primary", text: t("answer_checkin") });
        button.addEventListener("click", () => showReport(c));
        box.append(el("div", { class: "checkin" }, el("p", { class: "when", text: t("checkin_due") + ": " + when(c.due_at) }), button));
      });
      const reports = (await api("/me/reports?page_size=30")).body;
      if (!reports.length && !list.children.length) list.append(el("li", { text: t("history_empty") }));
      reports.forEach((report) => {
        list.append(el("li", { "data-report": report.id },
          el("p", { class: "when", text: when(report.observed_at) }),
          el("p", { text: describe(report) || report.triage.message }),
          el("p", { class: report.reviewed_at ? "seen" : "", text: report.reviewed_at ? "✓ " + t("seen") : t("not_seen") })));
      });
    } catch (e) {
      if (e instanceof SignedOut) return showPair(t("signed_out"));
      showWaiting("");
    }
  }
  function showHelp() {
    const resources = cachedCrisis();
    resourceItems($("help-list"), resources);
    if (!resources.length) $("help-list").append(el("li", { text: t("help_none") }));
    show("help");
  }

  async function start(options) {
    if (!tokens()) return showPair();
    try { await loadProfile(); } catch (e) { if (e instanceof SignedOut) return showPair(t("signed_out")); }
    showReport();
    trySending();
    subscribePush(Boolean(options && options.askForPush));
  }

  document.addEventListener("DOMContentLoaded", () => {
    pickLanguage();
    $("pair-form").addEventListener("submit", pair);
    $("report-form").addEventListener("submit", submitReport);
    $("safety-form").addEventListener("submit", submitSafety);
    $("safety-form").addEventListener("change", refreshFollowUps);
    $("answer-done").addEventListener("click", () => showReport());
    $("nav-report").addEventListener("click", () => showReport());
    $("nav-history").addEventListener("click", showHistory);
    $("nav-help").addEventListener("click", showHelp);
    $("sign-out").addEventListener("click", signOut);
    window.addEventListener("online", trySending);
    window.addEventListener("offline", () => showWaiting(""));
    setInterval(() => { if (navigator.onLine) trySending(); }, 30000);
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
    start();
  });
})();
