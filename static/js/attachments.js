// Attachments in the composer (the file picker, drag and drop, paste, progress) and the image
// lightbox. The picker opens from the composer toolbar's Attach button (composer.js); only where
// there is no toolbar does this add a button of its own, so a composer has one attach control.
// Uploads go to POST /attachments one at a time; a success inserts its Markdown at the cursor, a
// refusal is said in the status line. The text in the box is never replaced or cleared.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function insertAtCursor(textarea, markdown) {
    var start = textarea.selectionStart, end = textarea.selectionEnd, value = textarea.value;
    var before = value.slice(0, start), after = value.slice(end);
    var lead = before && !/\s$/.test(before) ? "\n" : "";
    var tail = after && !/^\s/.test(after) ? "\n" : "";
    textarea.value = before + lead + markdown + tail + after;
    var caret = (before + lead + markdown).length;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input"));
  }

  function wire(form) {
    var textarea = form.querySelector("textarea[data-markdown-input]");
    if (!textarea || textarea.hasAttribute("data-attachments-wired")) { return; }
    textarea.setAttribute("data-attachments-wired", "");
    var bar = document.createElement("div");
    bar.className = "attach-bar";
    var input = document.createElement("input");
    input.type = "file";
    input.multiple = true;
    input.hidden = true;
    input.setAttribute("data-attach-input", "");
    var tool = form.querySelector('[data-tool="attach"]');
    var button = tool || document.createElement("button");
    var hint = document.createElement("span");
    hint.className = "hint";
    hint.id = "attach-hint-" + (document.querySelectorAll(".attach-bar").length + 1);
    if (tool) {
      hint.textContent = "Attach an image or file with Attach above, or drop or paste it into the text.";
    } else {
      button.type = "button";
      button.className = "button-small button-secondary";
      button.textContent = "Attach files";
      hint.textContent = "or drop or paste them into the text";
    }
    button.setAttribute("aria-describedby", hint.id);
    var progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    progress.hidden = true;
    progress.setAttribute("aria-label", "Upload progress");
    var hideTimer = null;
    var status = document.createElement("p");
    status.className = "attach-status";
    status.setAttribute("role", "status");
    if (!tool) { bar.append(button); }
    bar.append(input, hint, progress, status);
    textarea.insertAdjacentElement("afterend", bar);

    var queue = [], busy = false;

    function say(text, isError) {
      status.textContent = text;
      status.classList.toggle("field-error", Boolean(isError));
    }

    function next() {
      if (busy || !queue.length) { return; }
      busy = true;
      var file = queue.shift();
      var data = new FormData();
      data.append("file", file, file.name);
      var request = new XMLHttpRequest();
      request.open("POST", "/attachments");
      request.setRequestHeader("X-CSRFToken", csrfToken(form));
      request.setRequestHeader("Accept", "application/json");
      window.clearTimeout(hideTimer);  // a finished upload's timer must not hide this one's bar
      progress.hidden = false;
      progress.value = 0;
      say("Uploading " + file.name + "…");
      request.upload.onprogress = function (event) {
        if (event.lengthComputable) { progress.value = Math.round(100 * event.loaded / event.total); }
      };
      request.onload = function () {
        var body = null;
        try { body = JSON.parse(request.responseText); } catch (ignored) { body = null; }
        if (request.status === 201 && body && body.markdown) {
          progress.value = 100;
          insertAtCursor(textarea, body.markdown);
          say("Attached " + body.name + " (" + body.size_label + ").");
        } else {
          var message = body && body.error && body.error.message;
          say(message || (request.status === 413 ? file.name + " is too large." : "Could not attach " + file.name + " (error " + request.status + "). Your text is still here."), true);
          progress.hidden = true;  // a refusal: no part-filled bar left beside the message
        }
        done();
      };
      request.onerror = function () {
        say("The upload of " + file.name + " did not reach the server. Check the connection and try again; your text is still here.", true);
        progress.hidden = true;
        done();
      };
      request.send(data);
    }

    function done() {
      busy = false;
      if (!queue.length) { hideTimer = window.setTimeout(function () { progress.hidden = true; }, 600); }
      next();
    }

    function add(files) {
      Array.prototype.forEach.call(files, function (file) {
        if (file.name === "image.png" || !file.name) {
          // A pasted screenshot has no name of its own.
          file = new File([file], "pasted-" + new Date().toISOString().replace(/[:.]/g, "-") + ".png", { type: file.type });
        }
        queue.push(file);
      });
      next();
    }

    if (!tool) { button.addEventListener("click", function () { input.click(); }); }
    input.addEventListener("change", function () { add(input.files); input.value = ""; });
    textarea.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
        event.preventDefault();
        textarea.classList.add("drop-target");
      }
    });
    textarea.addEventListener("dragleave", function () { textarea.classList.remove("drop-target"); });
    textarea.addEventListener("drop", function (event) {
      textarea.classList.remove("drop-target");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        event.preventDefault();
        add(event.dataTransfer.files);
      }
    });
    textarea.addEventListener("paste", function (event) {
      var files = event.clipboardData && event.clipboardData.files;
      if (files && files.length) {
        event.preventDefault();
        add(files);
      }
    });
  }

  // The lightbox: a native modal dialog (Escape closes it, focus returns to the image link).
  function lightbox() {
    var dialog = null, image = null, full = null, report = null;
    function build() {
      dialog = document.createElement("dialog");
      dialog.className = "lightbox";
      dialog.setAttribute("aria-label", "Image");
      var close = document.createElement("button");
      close.type = "button";
      close.className = "button-small lightbox-close";
      close.textContent = "Close";
      close.addEventListener("click", function () { dialog.close(); });
      image = document.createElement("img");
      full = document.createElement("a");
      full.textContent = "Open the full-size image";
      report = document.createElement("a");
      report.className = "lightbox-report";
      report.textContent = "Report this image";
      dialog.append(close, image, full, document.createTextNode(" · "), report);
      dialog.addEventListener("click", function (event) { if (event.target === dialog) { dialog.close(); } });
      document.body.append(dialog);
    }
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a.attachment-image");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      event.preventDefault();
      if (!dialog) { build(); }
      var thumb = link.querySelector("img");
      image.src = link.href;
      image.alt = thumb ? thumb.alt : "";
      full.href = link.href;
      report.href = link.pathname.replace(/^(\/attachments\/\d+)\/.*$/, "$1/flag");
      dialog.showModal();
    });
  }

  document.querySelectorAll("form[data-composer]").forEach(wire);
  lightbox();
})();
