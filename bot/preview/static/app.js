/* Fabrique phone preview: a resident's Telegram chat with the bot, live from the sandbox.
 *
 * Vanilla JS, no build step, nothing fetched but this server's own endpoints:
 *   GET  /sandbox/                                  the bot's identity and the event count
 *   GET  /preview/people                            who you can be
 *   GET  /sandbox/chats/{id}/messages               a chat's history (message views)
 *   POST /sandbox/chats/{id}/messages               {text, user_id}: the person sends a message
 *   POST /sandbox/chats/{id}/messages/{mid}/press   {data, user_id}: the person taps a button
 *   GET  /sandbox/chats/{id}/commands               the command menu that person sees
 *   GET  /sandbox/events (EventSource)              every change, live
 * Message text is always put in the page as DOM text nodes, never as HTML.
 */
(() => {
  "use strict";

  const STRINGS = {
    fr: {
      title: "Fabrique — aperçu téléphone",
      skip: "Aller à la saisie du message",
      youAre: "Vous êtes",
      conversation: "Conversation",
      empty: "Aucun message pour l’instant. Envoyez /start pour commencer.",
      messageLabel: "Votre message",
      placeholder: "Message",
      hint: "Entrée pour envoyer, Maj+Entrée pour aller à la ligne.",
      send: "Envoyer",
      commands: "Commandes",
      noCommands: "Aucune commande pour cette personne.",
      you: "Vous",
      edited: "modifié",
      buttons: "Boutons",
      newTab: "(s’ouvre dans un nouvel onglet)",
      typing: "{bot} écrit…",
      uploadDocument: "{bot} envoie un fichier…",
      uploadPhoto: "{bot} envoie une photo…",
      otherAction: "{bot} prépare un message…",
      live: "en direct",
      connecting: "connexion…",
      reconnecting: "reconnexion…",
      loading: "Chargement…",
      sendFailed: "Échec de l’envoi : {error}",
      pressFailed: "Échec de l’appui : {error}",
      loadFailed: "Impossible de charger la conversation : {error}",
      unsupportedButton: "Bouton non pris en charge dans l’aperçu",
      copied: "Copié : {text}",
      replyTo: "En réponse à",
      photo: "Photo",
      document: "Document",
      sticker: "Autocollant",
      voice: "Message vocal",
      audio: "Audio",
      video: "Vidéo",
      videoNote: "Vidéo ronde",
      animation: "GIF",
      location: "Position",
      venue: "Lieu",
      contact: "Contact",
      poll: "Sondage",
      dice: "Dé",
      media: "Contenu",
      resident: "résident·e",
      staff: "équipe (staff)",
      languageName: "français",
    },
    en: {
      title: "Fabrique — phone preview",
      skip: "Skip to the message box",
      youAre: "You are",
      conversation: "Conversation",
      empty: "No messages yet. Send /start to begin.",
      messageLabel: "Your message",
      placeholder: "Message",
      hint: "Enter to send, Shift+Enter for a new line.",
      send: "Send",
      commands: "Commands",
      noCommands: "No commands for this person.",
      you: "You",
      edited: "edited",
      buttons: "Buttons",
      newTab: "(opens in a new tab)",
      typing: "{bot} is typing…",
      uploadDocument: "{bot} is sending a file…",
      uploadPhoto: "{bot} is sending a photo…",
      otherAction: "{bot} is preparing a message…",
      live: "live",
      connecting: "connecting…",
      reconnecting: "reconnecting…",
      loading: "Loading…",
      sendFailed: "Could not send: {error}",
      pressFailed: "Could not press the button: {error}",
      loadFailed: "Could not load the conversation: {error}",
      unsupportedButton: "Button not supported in the preview",
      copied: "Copied: {text}",
      replyTo: "In reply to",
      photo: "Photo",
      document: "Document",
      sticker: "Sticker",
      voice: "Voice message",
      audio: "Audio",
      video: "Video",
      videoNote: "Video message",
      animation: "GIF",
      location: "Location",
      venue: "Venue",
      contact: "Contact",
      poll: "Poll",
      dice: "Dice",
      media: "Content",
      resident: "resident",
      staff: "staff",
      languageName: "English",
    },
  };

  const STORAGE_KEY = "fabrique-preview:person";
  const TYPING_MS = 5000;
  const TOAST_MS = 4000;
  const ALERT_MS = 8000;
  const BUSY_MS = 15000;
  const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:", "tel:", "tg:"]);

  const $ = (id) => document.getElementById(id);
  const ui = {
    person: $("person"),
    log: $("log"),
    list: $("messages"),
    empty: $("empty"),
    typing: $("typing"),
    typingText: $("typing-text"),
    status: $("status"),
    form: $("composer"),
    input: $("composer-input"),
    menuButton: $("menu-button"),
    menu: $("command-menu"),
    commandList: $("command-list"),
    botName: $("bot-name"),
    botUsername: $("bot-username"),
    botAvatar: $("bot-avatar"),
    connection: $("connection"),
  };

  const state = {
    bot: { first_name: "Fabrique", username: "" },
    people: [],
    person: null,
    language: "fr",
    views: new Map(), // message_id -> message view, current chat only
    items: new Map(), // message_id -> <li>
    loading: false,
    pending: [], // events of the current chat received while its history loads
    generation: 0,
    lastSeq: 0,
    source: null,
    connectionState: "connecting",
    typingTimer: 0,
    toastTimer: 0,
    commandsTimer: 0,
    refocusUntil: 0,
  };

  // ---------------------------------------------------------------- strings

  function t(key, params) {
    const table = STRINGS[state.language] || STRINGS.fr;
    let text = table[key] ?? STRINGS.fr[key] ?? key;
    for (const [name, value] of Object.entries(params || {})) {
      text = text.split(`{${name}}`).join(String(value));
    }
    return text;
  }

  function personLabel(person) {
    const table = STRINGS[person.language] || STRINGS.fr;
    const role = person.staff ? table.staff : `${table.resident} · ${table.languageName}`;
    return `${person.name} — ${role}`;
  }

  function applyLanguage(language) {
    state.language = STRINGS[language] ? language : "fr";
    document.documentElement.lang = state.language;
    document.title = `${t("title")}`;
    for (const node of document.querySelectorAll("[data-i18n]")) {
      node.textContent = t(node.dataset.i18n);
    }
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    }
    newTabHint().textContent = t("newTab");
    setConnection(state.connectionState);
  }

  // ---------------------------------------------------------------- helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  async function api(path, options = {}) {
    const init = { headers: { Accept: "application/json" }, ...options };
    if (options.body !== undefined) {
      init.method = init.method || "POST";
      init.headers = { ...init.headers, "Content-Type": "application/json" };
      init.body = JSON.stringify(options.body);
    }
    const response = await fetch(path, init);
    let payload = null;
    try {
      payload = await response.json();
    } catch (_error) {
      payload = null;
    }
    if (!response.ok) {
      const reason = (payload && payload.error) || `HTTP ${response.status}`;
      throw new Error(reason);
    }
    return payload;
  }

  function newTabHint() {
    let hint = document.getElementById("new-tab-hint");
    if (!hint) {
      hint = el("span", "visually-hidden");
      hint.id = "new-tab-hint";
      document.body.append(hint);
    }
    return hint;
  }

  function safeUrl(raw) {
    try {
      const url = new URL(raw, window.location.href);
      return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
    } catch (_error) {
      return null;
    }
  }

  function link(href, className) {
    const url = safeUrl(href);
    if (url === null) {
      const span = el("span", className);
      span.title = String(href);
      return span;
    }
    const anchor = el("a", className);
    anchor.href = url;
    if (!url.startsWith("mailto:") && !url.startsWith("tel:")) {
      anchor.target = "_blank";
      anchor.rel = "noopener noreferrer";
      anchor.setAttribute("aria-describedby", "new-tab-hint");
    }
    return anchor;
  }

  function formatSize(bytes) {
    if (typeof bytes !== "number") return "";
    const locale = state.language === "en" ? "en-GB" : "fr-FR";
    const format = (value, unit) => `${value.toLocaleString(locale, { maximumFractionDigits: 1 })} ${unit}`;
    if (bytes < 1024) return format(bytes, state.language === "en" ? "B" : "o");
    if (bytes < 1024 * 1024) return format(bytes / 1024, state.language === "en" ? "KB" : "Ko");
    return format(bytes / (1024 * 1024), state.language === "en" ? "MB" : "Mo");
  }

  function formatDuration(seconds) {
    if (typeof seconds !== "number") return "";
    const minutes = Math.floor(seconds / 60);
    return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
  }

  // ---------------------------------------------------------------- formatted text

  /** The element for one entity: `outer` goes in the parent, children go in `inner`. */
  function entityNode(entity, covered, fromBot) {
    const simple = (tag, className) => {
      const node = el(tag, className);
      return { outer: node, inner: node };
    };
    switch (entity.type) {
      case "bold":
        return simple("strong");
      case "italic":
        return simple("em");
      case "underline":
        return simple("u");
      case "strikethrough":
        return simple("s");
      case "spoiler": {
        const node = el("span", "spoiler");
        node.tabIndex = 0;
        node.addEventListener("click", () => node.classList.add("revealed"));
        return { outer: node, inner: node };
      }
      case "code":
        return simple("code");
      case "pre": {
        const pre = el("pre");
        pre.tabIndex = 0; // wide blocks scroll sideways: reachable by keyboard
        const code = el("code");
        if (entity.language) {
          code.dataset.language = entity.language;
          code.className = `language-${String(entity.language).replace(/[^\w-]/g, "")}`;
        }
        pre.append(code);
        return { outer: pre, inner: code };
      }
      case "blockquote":
      case "expandable_blockquote":
        return simple("blockquote");
      case "text_link":
        return wrap(link(entity.url || "", "link"));
      case "url":
        return wrap(link(/^[a-z][a-z0-9+.-]*:/i.test(covered) ? covered : `https://${covered}`, "link"));
      case "email":
        return wrap(link(`mailto:${covered}`, "link"));
      case "phone_number":
        return wrap(link(`tel:${covered.replace(/[^\d+]/g, "")}`, "link"));
      case "bot_command": {
        if (!fromBot) return simple("span", "cmd-entity");
        const button = el("button", "inline-command");
        button.type = "button";
        const command = covered.split("@")[0];
        button.addEventListener("click", () => sendText(command));
        return { outer: button, inner: button };
      }
      case "mention":
      case "text_mention":
        return simple("span", "mention");
      case "hashtag":
      case "cashtag":
        return simple("span", "tag");
      default:
        return simple("span", `entity-${String(entity.type).replace(/[^\w-]/g, "")}`);
    }
  }

  function wrap(node) {
    return { outer: node, inner: node };
  }

  /** Text of [start, end) with its entities, as DOM nodes appended to `parent`.
   * Offsets are UTF-16 code units, exactly JavaScript string indices. Entities nest; one
   * that overlaps the end of another is split, so every entity applies to all its text. */
  function appendFormatted(parent, text, start, end, entities, fromBot) {
    let queue = sortEntities(entities);
    let position = start;
    while (queue.length) {
      const entity = queue.shift();
      const entityEnd = entity.offset + entity.length;
      if (entity.offset > position) parent.append(document.createTextNode(text.slice(position, entity.offset)));
      const inside = [];
      const after = [];
      for (const other of queue) {
        const otherEnd = other.offset + other.length;
        if (other.offset >= entityEnd) {
          after.push(other);
          continue;
        }
        inside.push({ ...other, length: Math.min(otherEnd, entityEnd) - other.offset });
        if (otherEnd > entityEnd) after.push({ ...other, offset: entityEnd, length: otherEnd - entityEnd });
      }
      const node = entityNode(entity, text.slice(entity.offset, entityEnd), fromBot);
      appendFormatted(node.inner, text, entity.offset, entityEnd, inside, fromBot);
      parent.append(node.outer);
      position = entityEnd;
      queue = sortEntities(after);
    }
    if (position < end) parent.append(document.createTextNode(text.slice(position, end)));
  }

  function sortEntities(entities) {
    return entities
      .map((entity, index) => ({ entity, index }))
      .sort((a, b) => a.entity.offset - b.entity.offset || b.entity.length - a.entity.length || a.index - b.index)
      .map(({ entity }) => entity);
  }

  function formattedText(text, entities, fromBot) {
    const container = el("div", "text");
    const usable = (entities || [])
      .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
      .map((e) => {
        const offset = Math.max(0, Math.min(e.offset, text.length));
        return { ...e, offset, length: Math.max(0, Math.min(e.offset + e.length, text.length) - offset) };
      })
      .filter((e) => e.length > 0);
    appendFormatted(container, text, 0, text.length, usable, fromBot);
    return container;
  }

  // ---------------------------------------------------------------- media

  function mediaNodes(content, caption) {
    const nodes = [];
    if (!content) return nodes;
    if (Array.isArray(content.photo) && content.photo.length) {
      const largest = content.photo.reduce((best, size) =>
        (size.width || 0) * (size.height || 0) >= (best.width || 0) * (best.height || 0) ? size : best,
      );
      const img = el("img", "photo");
      img.src = `/sandbox/files/${encodeURIComponent(largest.file_id)}`;
      img.alt = caption || t("photo");
      if (largest.width && largest.height) {
        img.width = largest.width;
        img.height = largest.height;
      }
      img.addEventListener("load", () => keepAtBottomIfNear());
      nodes.push(img);
    }
    if (content.document && !content.animation) {
      const file = content.document;
      const name = file.file_name || t("document");
      const wrapper = el("p", "file");
      const anchor = el("a", "file-link");
      anchor.href = `/sandbox/files/${encodeURIComponent(file.file_id)}`;
      anchor.setAttribute("download", name);
      anchor.append(el("span", "file-icon", "📄"), document.createTextNode(` ${name}`));
      anchor.querySelector(".file-icon").setAttribute("aria-hidden", "true");
      wrapper.append(anchor);
      const details = [file.mime_type, formatSize(file.file_size)].filter(Boolean).join(" · ");
      if (details) wrapper.append(el("span", "file-details", details));
      nodes.push(wrapper);
    }
    const placeholders = [
      ["sticker", (s) => `${s.emoji ? `${s.emoji} ` : "🏷️ "}${t("sticker")}`],
      ["voice", (v) => `🎤 ${t("voice")} ${formatDuration(v.duration)}`],
      ["audio", (a) => `🎵 ${[a.performer, a.title].filter(Boolean).join(" — ") || t("audio")}`],
      ["video", (v) => `🎬 ${t("video")} ${formatDuration(v.duration)}`],
      ["video_note", (v) => `⏺️ ${t("videoNote")} ${formatDuration(v.duration)}`],
      ["animation", () => `🎞️ ${t("animation")}`],
      ["venue", (v) => `📍 ${t("venue")} : ${v.title || ""} ${v.address || ""}`],
      ["location", (l) => `📍 ${t("location")} (${l.latitude}, ${l.longitude})`],
      ["contact", (c) => `👤 ${t("contact")} : ${[c.first_name, c.last_name].filter(Boolean).join(" ")} ${c.phone_number || ""}`],
      ["poll", (p) => `📊 ${t("poll")} : ${p.question || ""}`],
      ["dice", (d) => `${d.emoji || "🎲"} ${t("dice")} : ${d.value ?? ""}`],
    ];
    let described = nodes.length > 0;
    for (const [key, describe] of placeholders) {
      if (!content[key] || (key === "location" && content.venue)) continue;
      nodes.push(el("p", "media-placeholder", describe(content[key]).trim()));
      described = true;
    }
    if (!described) {
      const keys = Object.keys(content).filter((key) => !["media_group_id", "has_media_spoiler"].includes(key));
      if (keys.length) nodes.push(el("p", "media-placeholder", `📎 ${t("media")} : ${keys.join(", ")}`));
    }
    return nodes;
  }

  // ---------------------------------------------------------------- keyboards

  function keyboardNode(view) {
    const markup = view.reply_markup || {};
    const rows = markup.inline_keyboard || markup.keyboard;
    if (!Array.isArray(rows) || !rows.length) return null;
    const inline = Boolean(markup.inline_keyboard);
    const group = el("div", inline ? "keyboard" : "keyboard reply-keyboard");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("buttons"));
    for (const row of rows) {
      const rowNode = el("div", "kb-row");
      for (const raw of row) {
        const button = typeof raw === "string" ? { text: raw } : raw;
        rowNode.append(inline ? inlineButton(view, button) : replyButton(button));
      }
      group.append(rowNode);
    }
    return group;
  }

  function inlineButton(view, button) {
    if (button.url) {
      const anchor = link(button.url, "kb-button kb-link");
      anchor.append(document.createTextNode(button.text), el("span", "kb-link-mark", " ↗"));
      anchor.lastChild.setAttribute("aria-hidden", "true");
      return anchor;
    }
    const node = el("button", "kb-button", button.text);
    node.type = "button";
    if (typeof button.callback_data === "string") {
      node.dataset.callback = button.callback_data;
      node.addEventListener("click", () => press(view.message_id, button.callback_data, node));
    } else if (button.copy_text && typeof button.copy_text.text === "string") {
      node.addEventListener("click", () => copy(button.copy_text.text));
    } else {
      node.setAttribute("aria-disabled", "true");
      node.title = t("unsupportedButton");
    }
    return node;
  }

  function replyButton(button) {
    const node = el("button", "kb-button", button.text);
    node.type = "button";
    node.addEventListener("click", () => sendText(button.text));
    return node;
  }

  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (_error) {
      /* the toast still shows the text */
    }
    toast(t("copied", { text }));
  }

  function setBusy(button, busy) {
    if (busy) {
      button.setAttribute("aria-disabled", "true");
      button.setAttribute("aria-busy", "true");
      button.dataset.busySince = String(Date.now());
    } else {
      button.removeAttribute("aria-disabled");
      button.removeAttribute("aria-busy");
      delete button.dataset.busySince;
    }
  }

  async function press(messageId, data, button) {
    if (button.getAttribute("aria-disabled") === "true" || !state.person) return;
    const person = state.person;
    setBusy(button, true);
    window.setTimeout(() => setBusy(button, false), BUSY_MS);
    try {
      await api(`/sandbox/chats/${person.user_id}/messages/${messageId}/press`, {
        body: { data, user_id: person.user_id },
      });
    } catch (error) {
      setBusy(button, false);
      toast(t("pressFailed", { error: error.message }), true);
    }
  }

  function releaseButtons(messageId, data) {
    const item = state.items.get(messageId);
    if (!item) return;
    for (const button of item.querySelectorAll(".kb-button[aria-busy='true']")) {
      if (data === undefined || button.dataset.callback === data) setBusy(button, false);
    }
  }

  // ---------------------------------------------------------------- messages

  function timeText(seconds) {
    const locale = state.language === "en" ? "en-GB" : "fr-FR";
    return new Date(seconds * 1000).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  }

  function messageNode(view) {
    const fromBot = Boolean(view.from_bot);
    const item = el("li", `msg ${fromBot ? "from-bot" : "from-me"}`);
    item.id = `message-${view.message_id}`;
    item.dataset.messageId = String(view.message_id);
    const bubble = el("div", "bubble");
    bubble.append(el("span", "visually-hidden sender", `${fromBot ? state.bot.first_name : t("you")} :`));

    if (view.reply_to_message_id) {
      const quoted = state.views.get(view.reply_to_message_id);
      const quote = el("p", "reply-quote");
      quote.append(el("span", "visually-hidden", `${t("replyTo")} : `));
      quote.append(document.createTextNode(quoted ? (quoted.text || quoted.caption || "…").slice(0, 80) : "…"));
      bubble.append(quote);
    }
    const caption = view.caption || "";
    for (const node of mediaNodes(view.content, caption)) bubble.append(node);
    if (typeof view.text === "string") bubble.append(formattedText(view.text, view.entities, fromBot));
    if (caption) bubble.append(formattedText(caption, view.caption_entities, fromBot));

    const meta = el("p", "meta");
    if (view.edit_date) meta.append(el("span", "edited", t("edited")), document.createTextNode(" "));
    const time = el("time", null, timeText(view.date));
    time.dateTime = new Date(view.date * 1000).toISOString();
    meta.append(time);
    bubble.append(meta);
    item.append(bubble);

    const keyboard = keyboardNode(view);
    if (keyboard) {
      item.classList.add("has-keyboard");
      item.append(keyboard);
    }
    return item;
  }

  function nearBottom() {
    const log = ui.log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  }

  function scrollToBottom() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function keepAtBottomIfNear() {
    if (nearBottom()) scrollToBottom();
  }

  function updateEmpty() {
    ui.empty.hidden = state.loading || state.items.size > 0;
  }

  /** Add or replace a message, keeping the list ordered and the keyboard focus. */
  function upsert(view, { initial = false } = {}) {
    if (view.deleted) {
      remove(view.message_id);
      return;
    }
    const wasNearBottom = nearBottom();
    const old = state.items.get(view.message_id);
    const previous = state.views.get(view.message_id);
    state.views.set(view.message_id, view);
    const item = messageNode(view);
    if (old) {
      const focused = old.contains(document.activeElement) ? document.activeElement : null;
      updateItem(old, previous, item, view);
      if (focused && !old.contains(focused)) restoreFocus(old, focused);
    } else {
      state.items.set(view.message_id, item);
      const next = [...state.items.keys()].filter((id) => id > view.message_id).sort((a, b) => a - b)[0];
      const before = next === undefined ? null : state.items.get(next);
      ui.list.insertBefore(item, before && before.parentNode === ui.list ? before : null);
      if (!initial && view.from_bot) {
        hideTyping();
        focusNewKeyboard(item);
      }
    }
    updateEmpty();
    if (!initial && (wasNearBottom || (!old && !view.from_bot))) scrollToBottom();
  }

  /** Apply an edit to the message already shown, touching only what changed: the log
   * (aria-live) then announces a new text, not the whole message again for a keyboard change. */
  function updateItem(item, previous, fresh, view) {
    const body = (v) =>
      v && JSON.stringify([v.text, v.entities, v.caption, v.caption_entities, v.content, v.reply_to_message_id]);
    if (body(previous) === body(view)) {
      item.querySelector(".meta").replaceWith(fresh.querySelector(".meta"));
    } else {
      item.querySelector(".bubble").replaceWith(fresh.querySelector(".bubble"));
    }
    const oldKeyboard = item.querySelector(".keyboard");
    const newKeyboard = fresh.querySelector(".keyboard");
    if (oldKeyboard && newKeyboard) oldKeyboard.replaceWith(newKeyboard);
    else if (oldKeyboard) oldKeyboard.remove();
    else if (newKeyboard) item.append(newKeyboard);
    item.classList.toggle("has-keyboard", Boolean(newKeyboard));
  }

  function remove(messageId) {
    const item = state.items.get(messageId);
    state.views.delete(messageId);
    if (!item) return;
    const hadFocus = item.contains(document.activeElement);
    item.remove();
    state.items.delete(messageId);
    if (hadFocus) parkFocus();
    updateEmpty();
  }

  /** The focused control was re-rendered: focus its twin, or park focus on the log. */
  function restoreFocus(item, focused) {
    const data = focused.dataset ? focused.dataset.callback : undefined;
    const twin = [...item.querySelectorAll(".kb-button")].find(
      (candidate) =>
        candidate.textContent === focused.textContent && (data === undefined || candidate.dataset.callback === data),
    );
    if (twin) twin.focus({ preventScroll: true });
    else parkFocus();
  }

  function parkFocus() {
    ui.log.focus({ preventScroll: true });
    state.refocusUntil = Date.now() + 3000;
  }

  /** After a pressed button vanished, a keyboard user lands on the next keyboard. */
  function focusNewKeyboard(item) {
    if (Date.now() > state.refocusUntil) return;
    if (document.activeElement !== ui.log && document.activeElement !== document.body) return;
    const first = item.querySelector(".kb-button, .file-link");
    if (first) {
      first.focus({ preventScroll: true });
      state.refocusUntil = 0;
    }
  }

  function clearMessages() {
    state.views.clear();
    state.items.clear();
    ui.list.replaceChildren();
  }

  // ---------------------------------------------------------------- typing & toasts

  function showTyping(action) {
    const keys = { typing: "typing", upload_document: "uploadDocument", upload_photo: "uploadPhoto" };
    ui.typingText.textContent = t(keys[action] || "otherAction", { bot: state.bot.first_name });
    const wasNearBottom = nearBottom();
    ui.typing.hidden = false;
    if (wasNearBottom) scrollToBottom();
    window.clearTimeout(state.typingTimer);
    state.typingTimer = window.setTimeout(hideTyping, TYPING_MS);
  }

  function hideTyping() {
    window.clearTimeout(state.typingTimer);
    ui.typing.hidden = true;
  }

  function toast(text, alert = false) {
    window.clearTimeout(state.toastTimer);
    ui.status.replaceChildren(el("p", alert ? "toast alert" : "toast", text));
    state.toastTimer = window.setTimeout(() => ui.status.replaceChildren(), alert ? ALERT_MS : TOAST_MS);
  }

  // ---------------------------------------------------------------- events

  function handleEvent(event) {
    if (typeof event.seq === "number") state.lastSeq = Math.max(state.lastSeq, event.seq);
    if (event.type === "commands_changed") {
      window.clearTimeout(state.commandsTimer);
      state.commandsTimer = window.setTimeout(loadCommands, 200);
      return;
    }
    if (!state.person || event.chat_id !== state.person.user_id) return;
    if (state.loading) {
      state.pending.push(event);
      return;
    }
    applyEvent(event);
  }

  function applyEvent(event) {
    const data = event.data || {};
    switch (event.type) {
      case "message":
      case "message_edited":
        if (data.message) upsert(data.message);
        break;
      case "message_deleted":
        remove(data.message_id);
        break;
      case "chat_action":
        showTyping(data.action);
        break;
      case "callback_answer": {
        const query = data.query || {};
        releaseButtons(query.message_id, query.data);
        const answer = query.answer || {};
        if (answer.text && query.user_id === state.person.user_id) toast(answer.text, Boolean(answer.show_alert));
        break;
      }
      default:
        break;
    }
  }

  function setConnection(connectionState) {
    state.connectionState = connectionState;
    ui.connection.dataset.state = connectionState;
    ui.connection.textContent = `● ${t(connectionState)}`;
  }

  function connect(since) {
    if (state.source) state.source.close();
    const source = new EventSource(`/sandbox/events?since=${since}`);
    state.source = source;
    let dropped = false;
    source.addEventListener("open", async () => {
      setConnection("live");
      if (!dropped) return;
      dropped = false;
      // Back after a drop: EventSource resumed with Last-Event-ID; if the server restarted
      // (fewer events than we saw), start over from its present state.
      try {
        const info = await api("/sandbox/");
        if (info.events < state.lastSeq) {
          state.lastSeq = info.events;
          connect(info.events);
          if (state.person) switchTo(state.person);
        }
      } catch (_error) {
        /* the next reconnection tries again */
      }
    });
    source.addEventListener("error", () => {
      dropped = true;
      setConnection("reconnecting");
    });
    source.addEventListener("message", (message) => {
      try {
        handleEvent(JSON.parse(message.data));
      } catch (error) {
        console.error("bad sandbox event", error);
      }
    });
  }

  // ---------------------------------------------------------------- people & commands

  async function switchTo(person) {
    state.person = person;
    try {
      localStorage.setItem(STORAGE_KEY, String(person.user_id));
    } catch (_error) {
      /* private browsing: the choice is not remembered */
    }
    ui.person.value = String(person.user_id);
    const generation = ++state.generation;
    state.loading = true;
    state.pending = [];
    clearMessages();
    hideTyping();
    closeMenu(false);
    ui.status.replaceChildren();
    applyLanguage(person.language);
    ui.log.setAttribute("aria-busy", "true");
    updateEmpty();
    loadCommands();
    try {
      const views = await api(`/sandbox/chats/${person.user_id}/messages`);
      if (generation !== state.generation) return;
      for (const view of views) upsert(view, { initial: true });
    } catch (error) {
      if (generation !== state.generation) return;
      toast(t("loadFailed", { error: error.message }), true);
    }
    state.loading = false;
    ui.log.removeAttribute("aria-busy");
    const pending = state.pending;
    state.pending = [];
    for (const event of pending) applyEvent(event);
    updateEmpty();
    scrollToBottom();
  }

  async function loadCommands() {
    const person = state.person;
    if (!person) return;
    let commands = [];
    try {
      commands = await api(`/sandbox/chats/${person.user_id}/commands`);
    } catch (_error) {
      commands = [];
    }
    if (person !== state.person) return;
    const items = commands.map((command) => {
      const item = el("li");
      const button = el("button", "command");
      button.type = "button";
      button.append(el("span", "command-name", `/${command.command}`), el("span", "command-description", command.description));
      button.addEventListener("click", () => {
        closeMenu(false);
        ui.input.focus();
        sendText(`/${command.command}`);
      });
      item.append(button);
      return item;
    });
    if (!items.length) items.push(el("li", "no-commands", t("noCommands")));
    ui.commandList.replaceChildren(...items);
  }

  function openMenu() {
    ui.menu.hidden = false;
    ui.menuButton.setAttribute("aria-expanded", "true");
    const first = ui.commandList.querySelector("button");
    if (first) first.focus();
  }

  function closeMenu(returnFocus = true) {
    if (ui.menu.hidden) return;
    ui.menu.hidden = true;
    ui.menuButton.setAttribute("aria-expanded", "false");
    if (returnFocus) ui.menuButton.focus();
  }

  function menuKeys(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closeMenu(true);
      return;
    }
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const buttons = [...ui.commandList.querySelectorAll("button")];
    if (!buttons.length) return;
    event.preventDefault();
    const index = buttons.indexOf(document.activeElement);
    const last = buttons.length - 1;
    const target = {
      ArrowDown: index < 0 || index === last ? 0 : index + 1,
      ArrowUp: index <= 0 ? last : index - 1,
      Home: 0,
      End: last,
    }[event.key];
    buttons[target].focus();
  }

  // ---------------------------------------------------------------- composer

  async function sendText(text) {
    const person = state.person;
    if (!person || !text.trim()) return false;
    try {
      const view = await api(`/sandbox/chats/${person.user_id}/messages`, {
        body: { text, user_id: person.user_id },
      });
      if (person === state.person && view && !state.loading) upsert(view);
      scrollToBottom();
      return true;
    } catch (error) {
      toast(t("sendFailed", { error: error.message }), true);
      return false;
    }
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = `${Math.min(ui.input.scrollHeight, 160)}px`;
  }

  async function submit() {
    const text = ui.input.value;
    if (!text.trim()) return;
    ui.input.value = "";
    autosize();
    const sent = await sendText(text);
    if (!sent && !ui.input.value) {
      ui.input.value = text;
      autosize();
    }
  }

  // ---------------------------------------------------------------- start

  function bindUi() {
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    ui.input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      submit();
    });
    ui.input.addEventListener("input", autosize);
    ui.person.addEventListener("change", () => {
      const person = state.people.find((p) => String(p.user_id) === ui.person.value);
      if (person) switchTo(person);
    });
    ui.menuButton.addEventListener("click", () => (ui.menu.hidden ? openMenu() : closeMenu(true)));
    ui.menu.addEventListener("keydown", menuKeys);
    ui.menuButton.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeMenu(true);
    });
    document.addEventListener("click", (event) => {
      if (!ui.menu.hidden && !ui.menu.contains(event.target) && !ui.menuButton.contains(event.target)) {
        closeMenu(false);
      }
    });
    document.addEventListener("focusin", (event) => {
      if (!ui.menu.hidden && !ui.menu.contains(event.target) && event.target !== ui.menuButton) closeMenu(false);
    });
  }

  async function start() {
    bindUi();
    applyLanguage("fr");
    setConnection("connecting");
    const [info, people] = await Promise.all([api("/sandbox/"), api("/preview/people")]);
    state.bot = info.bot || state.bot;
    state.lastSeq = info.events || 0;
    ui.botName.textContent = state.bot.first_name;
    ui.botUsername.textContent = state.bot.username ? `@${state.bot.username}` : "";
    ui.botAvatar.textContent = (state.bot.first_name || "F").trim().charAt(0).toUpperCase();
    state.people = people;
    ui.person.replaceChildren(
      ...people.map((person) => {
        const option = el("option", null, personLabel(person));
        option.value = String(person.user_id);
        option.lang = person.language;
        return option;
      }),
    );
    let remembered = null;
    try {
      remembered = localStorage.getItem(STORAGE_KEY);
    } catch (_error) {
      remembered = null;
    }
    const person = people.find((p) => String(p.user_id) === remembered) || people[0];
    connect(state.lastSeq);
    if (person) await switchTo(person);
  }

  start().catch((error) => {
    console.error(error);
    toast(String(error && error.message ? error.message : error), true);
  });
})();
