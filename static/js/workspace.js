/* The worker workspace: answer a task, submit it to the JSON API, swap in the next one.
 *
 * The page (templates/workers/workspace.html) is a shell. Tasks arrive as HTML fragments from
 * the page's "next" URL (which resumes the worker's live assignment or claims a new one) and
 * are rendered by the one widget template, templates/marketplace/widgets/task.html. Answers,
 * skips, returns and lease extensions go to /api/v1/assignments/<id>/... with the session
 * cookie and the CSRF token. Each template type has a small controller below: it reads the
 * answer out of the widget and handles its keyboard shortcuts. Plain JS, no build step.
 * Pages without the workspace reuse the controllers for forms marked data-answer-form (the
 * qualification test page answers spans and boxes with them; see answerForms at the end).
 */
(function () {
  "use strict";

  var root = document.getElementById("workspace");
  var formErrors = null; // on a plain answer form (see answerForms), where errors go
  if (!root) {
    answerForms();
    return;
  }
  var settings = JSON.parse(document.getElementById("workspace-settings").textContent);
  var slot = document.getElementById("task-slot");
  var notice = root.querySelector(".ws-notice");
  var clock = root.querySelector(".ws-clock");
  var timerBox = root.querySelector(".ws-timer");
  var doneCount = root.querySelector("[data-testid=done-count]");
  var actions = root.querySelector(".ws-actions");
  var keysHelp = root.querySelector(".ws-keys");

  var current = null; // {assignment, expiresAt, submitKey, widget, section}
  var busy = false;
  var done = 0;
  var ticker = null;

  // --- Server calls ---------------------------------------------------------------------------

  function post(url, body) {
    var headers = { "X-CSRFToken": settings.csrfToken, "X-Requested-With": "fetch" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  function api(action, assignment, body) {
    return post(settings.apiBase + assignment + "/" + action + "/", body).then(function (response) {
      return response.text().then(function (text) {
        var payload = null;
        try { payload = text ? JSON.parse(text) : null; } catch (e) { payload = null; }
        return { ok: response.ok, status: response.status, body: payload };
      });
    }, function () {
      return { ok: false, status: 0, body: null };
    });
  }

  function errorOf(result) {
    var error = result.body && result.body.error;
    if (error) return error;
    if (result.status === 0) return { code: "network", message: "No connection. Check your network and try again.", fields: {} };
    return { code: "error", message: "Something went wrong (" + result.status + "). Please try again.", fields: {} };
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  // --- Messages -------------------------------------------------------------------------------

  function showNotice(message, kind, withNext) {
    notice.hidden = false;
    notice.className = "ws-notice " + (kind || "");
    notice.textContent = message;
    if (withNext) {
      var next = document.createElement("button");
      next.type = "button";
      next.textContent = "Next task";
      next.setAttribute("data-testid", "next-task");
      next.addEventListener("click", function () { loadNext(); });
      notice.appendChild(document.createTextNode(" "));
      notice.appendChild(next);
    }
  }

  function clearNotice() {
    notice.hidden = true;
    notice.textContent = "";
  }

  function showErrors(messages) {
    var box = (current && current.section.querySelector(".ws-errors")) || formErrors;
    if (!box) return showNotice(messages.join(" "), "bad");
    box.textContent = "";
    messages.forEach(function (message) {
      var p = document.createElement("p");
      p.textContent = message;
      box.appendChild(p);
    });
  }

  function fieldMessages(error) {
    var list = [];
    Object.keys(error.fields || {}).forEach(function (field) {
      error.fields[field].forEach(function (message) { list.push(message); });
    });
    return list.length ? list : [error.message];
  }

  // --- Timer ----------------------------------------------------------------------------------

  function tick() {
    if (!current) return;
    var left = Math.round((current.expiresAt - Date.now()) / 1000);
    if (left <= 0) {
      clock.textContent = "0:00";
      timerBox.classList.add("expired");
      if (!current.expiredShown) {
        current.expiredShown = true;
        showNotice("Time is up for this task. You can still submit: the answer is kept if the task has not gone to someone else.", "warn");
      }
      return;
    }
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    clock.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    timerBox.classList.toggle("warn", left <= 60);
    timerBox.classList.remove("expired");
  }

  function startTimer() {
    if (ticker) clearInterval(ticker);
    tick();
    ticker = setInterval(tick, 1000);
  }

  // --- Loading tasks --------------------------------------------------------------------------

  function setWorking(on) {
    actions.querySelectorAll("button").forEach(function (button) { button.disabled = !on; });
    timerBox.querySelector("button").disabled = !on;
  }

  function loadNext() {
    busy = true;
    return post(settings.nextUrl).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.text();
    }).then(function (html) {
      slot.innerHTML = html;
      var section = slot.firstElementChild;
      while (section && !section.hasAttribute("data-state")) section = section.nextElementSibling;
      if (section && section.getAttribute("data-state") === "task") {
        current = {
          assignment: section.getAttribute("data-assignment"),
          expiresAt: Date.parse(section.getAttribute("data-expires-at")),
          submitKey: newKey(),
          section: section,
          expiredShown: false,
        };
        current.widget = makeWidget(section.querySelector(".task-widget"));
        setWorking(true);
        actions.hidden = false;
        timerBox.hidden = false;
        startTimer();
        var first = section.querySelector("textarea");
        if (first) first.focus();
      } else {
        current = null;
        if (ticker) clearInterval(ticker);
        timerBox.hidden = true;
        actions.hidden = true;
        keysHelp.hidden = true;
      }
    }).catch(function () {
      showNotice("Could not load a task. Reload the page to try again.", "bad");
    }).then(function () { busy = false; });
  }

  function submit() {
    if (busy || !current) return;
    if (current.closed) return loadNext(); // the notice said why; Enter moves on
    var answer = current.widget.answer();
    if (answer.error) return showErrors([answer.error]);
    busy = true;
    var sent = current;
    api("submit", sent.assignment, { answer: answer.value, submit_key: sent.submitKey }).then(function (result) {
      busy = false;
      if (sent !== current) return;
      if (result.ok) {
        done += 1;
        doneCount.textContent = String(done);
        clearNotice();
        if (result.body && result.body.late) showNotice("Saved (after the time limit, before the task was given back).", "ok");
        return loadNext();
      }
      var error = errorOf(result);
      if (error.code === "invalid") return showErrors(fieldMessages(error));
      if (error.code === "lease_expired" || error.code === "already_submitted" || error.code === "not_found") {
        sent.closed = true;
        setWorking(false);
        return showNotice(error.message, "bad", true);
      }
      showNotice(error.message, "bad");
    });
  }

  function release(action) {
    if (busy || !current) return;
    if (current.closed) {
      if (action === "return") window.location.href = settings.feedUrl;
      return;
    }
    busy = true;
    var sent = current;
    api(action, sent.assignment).then(function (result) {
      busy = false;
      var error = result.ok ? null : errorOf(result);
      if (action === "return") {
        if (error && error.code === "network") return showNotice(error.message, "bad");
        window.location.href = settings.feedUrl;
        return;
      }
      clearNotice();
      if (error && error.code === "network") return showNotice(error.message, "bad");
      loadNext();
    });
  }

  function extend() {
    if (busy || !current) return;
    var sent = current;
    api("heartbeat", sent.assignment).then(function (result) {
      if (sent !== current) return;
      if (result.ok) {
        sent.expiresAt = Date.parse(result.body.expires_at);
        sent.expiredShown = false;
        clearNotice();
        tick();
        showNotice("More time: the task is yours until " + new Date(sent.expiresAt).toLocaleTimeString() + ".", "ok");
      } else {
        showNotice(errorOf(result).message, "bad", true);
      }
    });
  }

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action]");
    if (!button || !root.contains(button)) return;
    var action = button.getAttribute("data-action");
    if (action === "submit") submit();
    else if (action === "skip") release("skip");
    else if (action === "return") release("return");
    else if (action === "extend") extend();
  });

  document.addEventListener("keydown", function (event) {
    if (!current || event.altKey || event.defaultPrevented) return;
    var target = event.target;
    var typing = target.matches && target.matches("textarea, input[type=text], input[type=search], [contenteditable]");
    if (event.key === "Enter") {
      if (typing && !(event.ctrlKey || event.metaKey)) return;
      if (!typing && target.matches && target.matches("button, a, summary")) return;
      event.preventDefault();
      submit();
      return;
    }
    if (typing || event.ctrlKey || event.metaKey) return;
    var key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (current.widget.key && current.widget.key(key, event)) {
      event.preventDefault();
      return;
    }
    if (settings.skipKey && key === settings.skipKey) {
      event.preventDefault();
      release("skip");
    }
  });

  // --- Widgets: one controller per template type ---------------------------------------------
  // A controller is {answer() -> {value} | {error}, key(key, event) -> handled?}.

  var shortcuts = settings.shortcuts || {};

  function choices(widget, multiple) {
    var inputs = Array.prototype.slice.call(widget.querySelectorAll("input[name=answer]"));
    function pick(value) {
      var input = inputs.filter(function (item) { return item.value === value; })[0];
      if (!input) return false;
      input.checked = multiple ? !input.checked : true;
      input.focus();
      return true;
    }
    return {
      answer: function () {
        var chosen = inputs.filter(function (item) { return item.checked; }).map(function (item) { return item.value; });
        if (multiple) return { value: chosen };
        return chosen.length ? { value: chosen[0] } : { error: "Choose an answer first." };
      },
      key: function (key) {
        return Object.prototype.hasOwnProperty.call(shortcuts, key) && pick(shortcuts[key]);
      },
    };
  }

  function freeText(widget) {
    var box = widget.querySelector("textarea");
    return {
      answer: function () {
        return box.value.trim() ? { value: box.value } : { error: "Write an answer first." };
      },
      key: function () { return false; },
    };
  }

  function rating(widget) {
    var range = widget.querySelector("input[type=range]");
    var shown = widget.querySelector(".rating-value");
    var namesTag = widget.querySelector("script[type='application/json']");
    var names = namesTag ? JSON.parse(namesTag.textContent) : {};
    var touched = false;
    function show() {
      touched = true;
      var name = names[range.value];
      shown.textContent = "Your rating: " + range.value + (name ? " — " + name : "");
    }
    range.addEventListener("input", show);
    range.addEventListener("change", show);
    return {
      answer: function () {
        return touched ? { value: parseInt(range.value, 10) } : { error: "Choose a rating first." };
      },
      key: function (key) {
        if (!Object.prototype.hasOwnProperty.call(shortcuts, key)) return false;
        range.value = shortcuts[key];
        show();
        return true;
      },
    };
  }

  // Text spans: offsets count Unicode code points of the task text, end exclusive.
  function spans(widget) {
    var textBox = widget.querySelector(".span-text");
    var text = textBox.textContent;
    var list = widget.querySelector(".span-list");
    var items = [];
    var pending = null; // the last selection inside the text, as UTF-16 offsets

    function codePoints(index) { return Array.from(text.slice(0, index)).length; }
    function utf16(points) { return Array.from(text).slice(0, points).join("").length; }

    function offsetOf(node, offset) {
      var range = document.createRange();
      range.selectNodeContents(textBox);
      range.setEnd(node, offset);
      return range.toString().length;
    }

    function remember() {
      var selection = window.getSelection();
      if (!selection.rangeCount || selection.isCollapsed) return;
      var range = selection.getRangeAt(0);
      if (!textBox.contains(range.startContainer) || !textBox.contains(range.endContainer)) return;
      var start = offsetOf(range.startContainer, range.startOffset);
      var end = offsetOf(range.endContainer, range.endOffset);
      while (start < end && /\s/.test(text[start])) start++;
      while (end > start && /\s/.test(text[end - 1])) end--;
      pending = end > start ? { start: start, end: end } : null;
    }

    function render() {
      // Highlights: cut the text at every span edge; covered pieces become <mark>. The text
      // nodes still add up to the task text, so selection offsets stay right.
      var edges = [0, text.length];
      items.forEach(function (span) { edges.push(utf16(span.start), utf16(span.end)); });
      edges = edges.filter(function (v, i, all) { return all.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
      textBox.textContent = "";
      for (var i = 0; i < edges.length - 1; i++) {
        var piece = text.slice(edges[i], edges[i + 1]);
        var from = codePoints(edges[i]);
        var labels = items.filter(function (span) { return span.start <= from && span.end > from; }).map(function (span) { return span.label; });
        if (!labels.length) {
          textBox.appendChild(document.createTextNode(piece));
        } else {
          var mark = document.createElement("mark");
          mark.textContent = piece;
          mark.title = labels.join(", ");
          mark.setAttribute("data-labels", labels.join(", "));
          textBox.appendChild(mark);
        }
      }
      list.textContent = "";
      items.forEach(function (span, index) {
        var li = document.createElement("li");
        var tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = span.label;
        li.appendChild(tag);
        li.appendChild(document.createTextNode(" “" + Array.from(text).slice(span.start, span.end).join("") + "” "));
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link remove";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", "Remove " + span.label + " span");
        remove.addEventListener("click", function () { items.splice(index, 1); render(); });
        li.appendChild(remove);
        list.appendChild(li);
      });
    }

    function add(label) {
      remember();
      if (!pending) {
        showErrors(["Select some text first, then choose its label."]);
        return true;
      }
      var span = { start: codePoints(pending.start), end: codePoints(pending.end), label: label };
      var same = items.some(function (other) {
        return other.start === span.start && other.end === span.end && other.label === span.label;
      });
      if (!same) items.push(span);
      items.sort(function (a, b) { return a.start - b.start || a.end - b.end; });
      pending = null;
      window.getSelection().removeAllRanges();
      var errors = (current && current.section.querySelector(".ws-errors")) || formErrors;
      if (errors) errors.textContent = "";
      render();
      return true;
    }

    textBox.addEventListener("mouseup", remember);
    textBox.addEventListener("keyup", remember);
    textBox.addEventListener("touchend", function () { setTimeout(remember, 0); });
    widget.querySelectorAll(".span-label").forEach(function (button) {
      // Keep the text selection when the button is pressed.
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("click", function () { add(button.getAttribute("data-label")); });
    });
    return {
      answer: function () {
        return { value: items.map(function (s) { return { start: s.start, end: s.end, label: s.label }; }) };
      },
      key: function (key) {
        if (!Object.prototype.hasOwnProperty.call(shortcuts, key)) return false;
        return add(shortcuts[key]);
      },
    };
  }

  // Bounding boxes: positioned divs over the image, kept as fractions of its size (0..1).
  function boxes(widget) {
    var stage = widget.querySelector(".box-stage");
    var list = widget.querySelector(".box-list");
    var labelButtons = Array.prototype.slice.call(widget.querySelectorAll(".box-label"));
    var items = [];
    var selected = null;
    var active = labelButtons.length ? labelButtons[0].getAttribute("data-label") : "";
    var drag = null;
    var MIN = 0.01;

    function clamp(v, low, high) { return Math.min(Math.max(v, low), high); }
    function point(event) {
      var rect = stage.getBoundingClientRect();
      return { x: clamp((event.clientX - rect.left) / rect.width, 0, 1), y: clamp((event.clientY - rect.top) / rect.height, 0, 1) };
    }

    function setActive(label) {
      active = label;
      labelButtons.forEach(function (button) {
        var on = button.getAttribute("data-label") === label;
        button.classList.toggle("active", on);
        button.setAttribute("aria-pressed", on ? "true" : "false");
      });
      if (selected) { selected.label = label; render(); }
    }

    function render() {
      stage.querySelectorAll(".box").forEach(function (node) { node.remove(); });
      list.textContent = "";
      items.forEach(function (box, index) {
        var node = document.createElement("div");
        node.className = "box" + (box === selected ? " selected" : "");
        node.style.left = box.x * 100 + "%";
        node.style.top = box.y * 100 + "%";
        node.style.width = box.width * 100 + "%";
        node.style.height = box.height * 100 + "%";
        node.setAttribute("data-index", String(index));
        node.setAttribute("data-testid", "box");
        var tag = document.createElement("span");
        tag.className = "box-tag";
        tag.textContent = box.label;
        node.appendChild(tag);
        var handle = document.createElement("span");
        handle.className = "box-handle";
        handle.setAttribute("data-testid", "box-handle");
        node.appendChild(handle);
        stage.appendChild(node);

        var li = document.createElement("li");
        li.className = box === selected ? "selected" : "";
        var name = document.createElement("button");
        name.type = "button";
        name.className = "link";
        name.textContent = "Box " + (index + 1) + ": " + box.label;
        name.addEventListener("click", function () { selected = box; render(); });
        li.appendChild(name);
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link remove";
        remove.textContent = "Remove";
        remove.setAttribute("aria-label", "Remove box " + (index + 1));
        remove.addEventListener("click", function () { removeBox(box); });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(remove);
        list.appendChild(li);
      });
    }

    function removeBox(box) {
      items = items.filter(function (other) { return other !== box; });
      if (selected === box) selected = null;
      render();
    }

    stage.addEventListener("pointerdown", function (event) {
      if (event.button !== undefined && event.button !== 0) return;
      event.preventDefault();
      var at = point(event);
      var node = event.target.closest(".box");
      if (node) {
        var box = items[parseInt(node.getAttribute("data-index"), 10)];
        selected = box;
        var mode = event.target.classList.contains("box-handle") ? "resize" : "move";
        drag = { mode: mode, box: box, from: at, origin: { x: box.x, y: box.y, width: box.width, height: box.height } };
      } else {
        var fresh = { x: at.x, y: at.y, width: 0, height: 0, label: active };
        items.push(fresh);
        selected = fresh;
        drag = { mode: "draw", box: fresh, from: at };
      }
      stage.setPointerCapture(event.pointerId);
      render();
    });

    stage.addEventListener("pointermove", function (event) {
      if (!drag) return;
      var at = point(event);
      var box = drag.box;
      if (drag.mode === "draw") {
        box.x = Math.min(at.x, drag.from.x);
        box.y = Math.min(at.y, drag.from.y);
        box.width = Math.abs(at.x - drag.from.x);
        box.height = Math.abs(at.y - drag.from.y);
      } else if (drag.mode === "move") {
        box.x = clamp(drag.origin.x + at.x - drag.from.x, 0, 1 - box.width);
        box.y = clamp(drag.origin.y + at.y - drag.from.y, 0, 1 - box.height);
      } else {
        box.width = clamp(drag.origin.width + at.x - drag.from.x, MIN, 1 - box.x);
        box.height = clamp(drag.origin.height + at.y - drag.from.y, MIN, 1 - box.y);
      }
      render();
    });

    function finish(event) {
      if (!drag) return;
      if (stage.hasPointerCapture && stage.hasPointerCapture(event.pointerId)) stage.releasePointerCapture(event.pointerId);
      if (drag.mode === "draw" && (drag.box.width < MIN || drag.box.height < MIN)) removeBox(drag.box);
      drag = null;
      render();
    }
    stage.addEventListener("pointerup", finish);
    stage.addEventListener("pointercancel", finish);

    labelButtons.forEach(function (button) {
      button.addEventListener("click", function () { setActive(button.getAttribute("data-label")); });
    });

    function round(v) { return Math.round(v * 10000) / 10000; }
    return {
      answer: function () {
        return {
          value: items.map(function (box) {
            var x = round(box.x), y = round(box.y);
            return { x: x, y: y, width: Math.min(round(box.width), round(1 - x)), height: Math.min(round(box.height), round(1 - y)), label: box.label };
          }),
        };
      },
      key: function (key) {
        if ((key === "Delete" || key === "Backspace") && selected) {
          removeBox(selected);
          return true;
        }
        if (!Object.prototype.hasOwnProperty.call(shortcuts, key)) return false;
        setActive(shortcuts[key]);
        return true;
      },
    };
  }

  function makeWidget(widget) {
    switch (widget.getAttribute("data-template")) {
      case "classification":
      case "pairwise":
        return choices(widget, false);
      case "multi_label":
        return choices(widget, true);
      case "free_text":
        return freeText(widget);
      case "rating":
        return rating(widget);
      case "spans":
        return spans(widget);
      case "bounding_boxes":
        return boxes(widget);
      default:
        return { answer: function () { return { error: "This task type is not supported here." }; } };
    }
  }

  // --- Plain answer forms (the qualification test page) ---------------------------------------
  // A form marked data-answer-form holds one widget whose answer has no form field of its own
  // (spans, boxes). Its controller writes the answer as JSON into the form's hidden input
  // data-answer-json on submit; keys come from the form's data-shortcuts. The page posts the
  // form as usual: no workspace, no API calls.

  function answerForms() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-answer-form]"), function (form) {
      var widget = form.querySelector(".task-widget");
      var field = form.querySelector("input[data-answer-json]");
      if (!widget || !field) return;
      shortcuts = JSON.parse(form.getAttribute("data-shortcuts") || "{}");
      formErrors = form.querySelector(".ws-errors");
      var controller = makeWidget(widget);
      form.addEventListener("submit", function (event) {
        var answer = controller.answer();
        if (answer.error) {
          event.preventDefault();
          showErrors([answer.error]);
          return;
        }
        field.value = JSON.stringify(answer.value);
      });
      document.addEventListener("keydown", function (event) {
        if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
        var target = event.target;
        if (target.matches && target.matches("textarea, input, select, [contenteditable]")) return;
        var key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
        if (controller.key && controller.key(key, event)) event.preventDefault();
      });
      form.setAttribute("data-ready", "true"); // wired: keys and drawing work from now on
    });
  }

  setWorking(false);
  loadNext();
})();
