// Headless Chromium (Debian's package) driven by playwright-core.
import { chromium } from 'playwright-core';

const executablePath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export async function launchBrowser() {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}
