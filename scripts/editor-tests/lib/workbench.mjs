// A page object for the VS Code 1.139 web workbench in code-server. The selectors are VS Code internals
// (.statusbar-item, .quick-input-widget, .monaco-list-row, ...): the version is pinned in install-tools.sh.
const normalise = (text) => text.replace(/\u00a0/g, ' ');
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class Workbench {
  constructor(page) {
    this.page = page;
  }

  /** Opens the workbench and waits until the status bar and the extension host are up. */
  async open(url) {
    await this.page.goto(url, { waitUntil: 'domcontentloaded', timeout: 30_000 });
    await this.waitReady();
  }

  async reload() {
    await this.page.reload({ waitUntil: 'domcontentloaded', timeout: 30_000 });
    await this.waitReady();
  }

  async waitReady() {
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 60_000 });
    await this.page.locator('.part.activitybar').waitFor({ timeout: 30_000 });
  }

  /**
   * Shows a view container. After a window reload VS Code restores the last view container by itself, a second or
   * two after the page is ready; a click on its activity-bar item at that moment would *hide* the side bar. So this
   * runs the container's own "View: Show <title>" command (workbench.view.extension.<id>), which only ever shows,
   * and decides visibility from the activity item's checked state and the side bar's visibility, not from text.
   */
  async openViewContainer(title, timeout = 30_000) {
    const item = this.page.locator(`.part.activitybar .action-item:has([aria-label^="${title}"])`).first();
    await item.waitFor({ timeout }).catch(() => {
      throw new Error(`no "${title}" item in the activity bar (is the extension installed and its viewsContainers contributed?)`);
    });
    const shown = () =>
      item.evaluate((element) => {
        const checked = element.classList.contains('checked') || element.querySelector('[aria-pressed="true"], [aria-checked="true"], [aria-expanded="true"]') !== null;
        const sidebar = document.querySelector('.part.sidebar');
        const visible = !!sidebar && sidebar.getBoundingClientRect().width > 0 && getComputedStyle(sidebar).display !== 'none' && getComputedStyle(sidebar).visibility !== 'hidden';
        return checked && visible;
      });
    const until = Date.now() + timeout;
    let lastError;
    while (!(await shown())) {
      if (Date.now() > until) throw new Error(`the side bar does not show "${title}" after "View: Show ${title}"${lastError ? ` (${lastError.message})` : ''}`);
      try {
        await this.runCommand(`View: Show ${title}`);
      } catch (error) {
        // Right after a reload the palette may not list the container's command yet: close it and try again.
        lastError = error;
        await this.page.keyboard.press('Escape');
        await this.page.waitForTimeout(500);
        continue;
      }
      const settle = Date.now() + 3000;
      while (Date.now() < settle && !(await shown())) await this.page.waitForTimeout(100);
    }
  }

  /** Drags the side bar's edge so tree descriptions fit (screenshots). */
  async widenSidebar(by = 260) {
    const box = await this.page.locator('.part.sidebar').boundingBox();
    if (!box) throw new Error('the side bar is not visible');
    const x = box.x + box.width + 1;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x, y);
    await this.page.mouse.down();
    await this.page.mouse.move(x + by, y, { steps: 5 });
    await this.page.mouse.up();
  }

  /** The side bar's tree row whose label is exactly `label`. */
  treeRowLocator(label) {
    return this.page
      .locator('.part.sidebar .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) })
      .first();
  }

  /** { label, description, checked } of a tree row (checked undefined when it has no checkbox). */
  async treeRow(label, timeout = 30_000) {
    const row = this.treeRowLocator(label);
    await row.waitFor({ timeout }).catch(async () => {
      const labels = await this.page
        .locator('.part.sidebar .monaco-list-row .label-name')
        .allInnerTexts()
        .catch(() => []);
      throw new Error(`no tree row "${label}" in the side bar; rows: ${labels.map(normalise).join(', ') || 'none'}`);
    });
    return row.evaluate((element) => {
      const box = element.querySelector('.custom-view-tree-node-item-checkbox');
      const ariaChecked = box?.getAttribute('aria-checked') ?? box?.querySelector('[aria-checked]')?.getAttribute('aria-checked');
      return {
        label: element.querySelector('.label-name')?.textContent ?? '',
        description: element.querySelector('.label-description')?.textContent ?? '',
        checked: box ? (ariaChecked !== null && ariaChecked !== undefined ? ariaChecked === 'true' : box.classList.contains('checked')) : undefined,
      };
    });
  }

  async clickTreeCheckbox(label) {
    const row = this.treeRowLocator(label);
    const box = row.locator('.custom-view-tree-node-item-checkbox');
    await box.waitFor({ timeout: 10_000 }).catch(() => {
      throw new Error(`tree row "${label}" has no checkbox`);
    });
    await box.click();
  }

  async waitForTreeCheckbox(label, checked, timeout = 10_000) {
    const until = Date.now() + timeout;
    let last;
    for (;;) {
      last = await this.treeRow(label, timeout).catch((error) => ({ error }));
      if (!last.error && last.checked === checked) return;
      if (Date.now() > until) {
        throw new Error(`tree row "${label}": expected the checkbox ${checked ? 'on' : 'off'}, it is ${last.error ? last.error.message : last.checked ? 'on' : 'off'}`);
      }
      await this.page.waitForTimeout(100);
    }
  }

  /** F1, type the command's title, click the matching entry. `opensPrompt`: the command asks something next. */
  async runCommand(title, { opensPrompt = false } = {}) {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(`>${title}`);
    // The row whose label is exactly the title ("ESP Flasher: Flash", not "ESP Flasher: Flash (Encrypted)"), else the
    // first row that contains it.
    const rows = this.page.locator('.quick-input-list .monaco-list-row');
    const exact = rows.filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) }) }).first();
    const entry = (await exact.waitFor({ timeout: 3000 }).then(
      () => true,
      () => false,
    ))
      ? exact
      : rows.filter({ hasText: title }).first();
    await entry.waitFor({ timeout: 10_000 }).catch(async () => {
      const shown = await this.page
        .locator('.quick-input-list .monaco-list-row')
        .allInnerTexts()
        .catch(() => []);
      throw new Error(`the command palette has no "${title}"; it shows: ${shown.map(normalise).join(' | ') || 'nothing'}`);
    });
    await entry.click();
    if (opensPrompt) return;
    await this.page
      .locator('.quick-input-widget')
      .waitFor({ state: 'hidden', timeout: 10_000 })
      .catch(() => {
        throw new Error(`after choosing "${title}" the quick input stayed open (a prompt the test does not expect?)`);
      });
  }

  /** Starts recording every status bar text the page shows (a flash can pass through "42%" quicker than a poll). */
  async recordStatusBar() {
    await this.page.evaluate(() => {
      const seen = (window.__statusBarSeen = []);
      const bar = document.querySelector('.part.statusbar');
      const take = () => {
        for (const item of bar.querySelectorAll('.statusbar-item')) {
          const text = item.textContent ?? '';
          if (text && seen[seen.length - 1] !== text && !seen.includes(text)) seen.push(text);
        }
      };
      take();
      new MutationObserver(take).observe(bar, { subtree: true, childList: true, characterData: true, attributes: true });
    });
  }

  /** Every status bar text recorded since recordStatusBar(). */
  async statusBarHistory() {
    return (await this.page.evaluate(() => window.__statusBarSeen ?? [])).map(normalise);
  }

  /** Waits until a recorded status bar text matches `pattern`; returns it. */
  async statusBarSeen(pattern, timeout) {
    const until = Date.now() + timeout;
    for (;;) {
      const seen = await this.statusBarHistory();
      const hit = seen.find((text) => pattern.test(text));
      if (hit) return hit.trim();
      if (Date.now() > until) throw new Error(`the status bar never showed ${pattern} within ${timeout / 1000} s; it showed: ${seen.join(' | ')}`);
      await this.page.waitForTimeout(20);
    }
  }

  /** Texts of all status bar items. */
  async statusBarTexts() {
    return (await this.page.locator('.part.statusbar .statusbar-item').allInnerTexts()).map(normalise);
  }

  /** Waits for a status bar item matching `pattern`; returns its text. */
  async statusBarItem(pattern, timeout) {
    const until = Date.now() + timeout;
    for (;;) {
      const texts = await this.statusBarTexts();
      const hit = texts.find((text) => pattern.test(text));
      if (hit) return hit.trim();
      const failed = texts.find((text) => /ESP: .*(failed|cancelled)/i.test(text));
      if (failed) throw new Error(`the status bar says "${failed.trim()}" while waiting for ${pattern}`);
      if (Date.now() > until) throw new Error(`no status bar item matched ${pattern} within ${timeout / 1000} s; items: ${texts.join(' | ')}`);
      await this.page.waitForTimeout(50);
    }
  }

  /** Shows an output channel through "Output: Show Output Channels...". */
  async showOutputChannel(name) {
    await this.runCommand('Output: Show Output Channels...', { opensPrompt: true });
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(name);
    const entry = this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    await entry.waitFor({ timeout: 10_000 }).catch(() => {
      throw new Error(`no output channel "${name}"`);
    });
    await entry.click();
    await this.page.locator('.part.panel .monaco-editor .view-lines').waitFor({ timeout: 10_000 });
  }

  /**
   * The whole text of the output editor in the panel. Monaco renders only the visible lines, so this scrolls
   * from the top a page at a time and collects lines by their vertical position.
   */
  async outputText() {
    const editor = this.page.locator('.part.panel .monaco-editor').first();
    await editor.click();
    await this.page.keyboard.press('Control+Home');
    const lines = new Map();
    let unchanged = 0;
    for (let i = 0; i < 200 && unchanged < 2; i++) {
      await this.page.waitForTimeout(80);
      const visible = await editor.evaluate((element) =>
        [...element.querySelectorAll('.view-lines .view-line')].map((line) => [Number.parseFloat(line.style.top) || 0, line.textContent ?? '']),
      );
      const before = lines.size;
      for (const [top, text] of visible) lines.set(top, text);
      unchanged = lines.size === before ? unchanged + 1 : 0;
      await this.page.keyboard.press('PageDown');
    }
    return [...lines.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, text]) => normalise(text))
      .join('\n');
  }

  /**
   * The frame of a webview whose document holds `selector` (webviews are nested iframes: the host frame, then
   * #active-frame with the extension's HTML). Polls page.frames() until one matches.
   */
  async webviewFrame(selector, timeout = 20_000) {
    const until = Date.now() + timeout;
    for (;;) {
      for (const frame of this.page.frames()) {
        if (frame === this.page.mainFrame()) continue;
        const found = await frame.evaluate((sel) => document.querySelector(sel) !== null, selector).catch(() => false);
        if (found) return frame;
      }
      if (Date.now() > until) throw new Error(`no webview shows ${selector} within ${timeout / 1000} s`);
      await this.page.waitForTimeout(100);
    }
  }

  /**
   * The rendered geometry of the flash map's lanes: for each lane its inner width and flash size, and for each
   * box its name, data offset/size and rendered left/width in CSS pixels relative to the lane's padding box.
   */
  async flashMapGeometry(frame) {
    return frame.evaluate(() =>
      ['partitions', 'writes'].map((id) => {
        const lane = document.getElementById(id);
        const laneRect = lane.getBoundingClientRect();
        const origin = laneRect.left + lane.clientLeft;
        return {
          id,
          width: lane.clientWidth,
          flashSize: Number(lane.dataset.flashSize),
          boxes: [...lane.querySelectorAll('.box')].map((box) => {
            const r = box.getBoundingClientRect();
            const label = box.querySelector('span')?.getBoundingClientRect();
            return {
              name: box.dataset.name,
              offset: Number(box.dataset.offset),
              size: Number(box.dataset.size),
              left: r.left - origin,
              width: r.width,
              computedLeft: getComputedStyle(box).left,
              labelInside: !label || label.width === 0 || (label.left >= r.left - 0.5 && Math.min(label.right, r.right) <= r.right + 0.5),
            };
          }),
        };
      }),
    );
  }

  /** The modal dialog on screen: { message, detail, buttons, primary, focused } (focused: the button Enter presses). */
  async modalDialog(timeout = 30_000) {
    const box = this.page.locator('.monaco-dialog-box').first();
    await box.waitFor({ timeout }).catch(() => {
      throw new Error(`no modal dialog within ${timeout / 1000} s`);
    });
    await this.page.waitForTimeout(300); // focus lands after the dialog's entrance
    return box.evaluate((element) => ({
      message: element.querySelector('.dialog-message-text')?.textContent ?? '',
      detail: element.querySelector('.dialog-message-detail')?.textContent ?? '',
      buttons: [...element.querySelectorAll('.dialog-buttons .monaco-button')].map((b) => b.textContent ?? ''),
      // The primary (default) button: drawn in the button colour; its place in the row depends on the platform.
      primary: [...element.querySelectorAll('.dialog-buttons .monaco-button')].filter((b) => !b.classList.contains('secondary')).map((b) => b.textContent ?? ''),
      focused: element.contains(document.activeElement) ? (document.activeElement?.textContent ?? '') : '',
    }));
  }

  /** Clicks the status-bar item whose text matches `pattern`. */
  async clickStatusBarItem(pattern) {
    const item = this.page.locator('.part.statusbar .statusbar-item').filter({ hasText: pattern }).first();
    await item.waitFor({ timeout: 10_000 }).catch(() => {
      throw new Error(`no status bar item matches ${pattern}`);
    });
    await item.locator('a, .statusbar-item-label').first().click();
  }

  /** The open quick pick: { rows, focused } (texts of its visible rows and of the focused one). */
  async quickPick(timeout = 10_000) {
    const widget = this.page.locator('.quick-input-widget');
    await widget.waitFor({ timeout });
    await this.page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout });
    await this.page.waitForTimeout(200);
    return widget.evaluate((element) => ({
      rows: [...element.querySelectorAll('.quick-input-list .monaco-list-row')].map((r) => r.textContent ?? ''),
      focused: element.querySelector('.quick-input-list .monaco-list-row.focused')?.textContent ?? '',
    }));
  }

  /** Text of the terminal panel (the DOM renderer: gpuAcceleration off in the profile). */
  async terminalText() {
    return normalise(
      await this.page
        .locator('.part.panel .xterm-rows')
        .first()
        .innerText()
        .catch(() => ''),
    );
  }

  /** "Developer: Show Running Extensions" → the activation time VS Code measured for `name` (e.g. "42ms"). */
  async activationTime(id, name) {
    await this.runCommand('Developer: Show Running Extensions');
    const row = this.page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: name }).first();
    await row.waitFor({ timeout: 15_000 }).catch(() => {
      throw new Error(`"${name}" (${id}) is not among the running extensions`);
    });
    const text = normalise(await row.innerText());
    const match = /((?:Startup )?Activation):\s*(\d+)\s*ms/.exec(text);
    if (!match) throw new Error(`no activation time in the running-extensions row of ${name}: "${text}"`);
    return `${match[2]} ms (${match[1]})`;
  }
}
