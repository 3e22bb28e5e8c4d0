import { describe, expect } from 'vitest';
import { openContext, screenshot } from './support/browser.js';
import { openPage, webTest } from './support/stack.js';

describe('signing in with a handle, in Chromium', () => {
  webTest('goes through the real PDS sign-in page, leaves an HttpOnly session cookie that survives a reload, and signs out', async ({ app, network, web, browser, accounts }) => {
    const { artist } = accounts;
    const { context, page } = await openContext(browser);
    await openPage(page, web.url);
    await page.locator('#sign-in').waitFor({ state: 'visible' });
    await screenshot(page, 'signed-out');

    await page.getByLabel('Handle').fill(artist.handle);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // The PDS's own page (another origin): the handle arrives as the login hint, the password is typed.
    await page.waitForURL((url) => url.origin === new URL(network.pdsUrl).origin);
    const username = page.getByLabel('Username or Email');
    if (await username.isEditable()) await username.fill(artist.handle);
    expect(await username.inputValue()).toBe(artist.handle);
    await page.getByPlaceholder('Enter your password').fill(artist.password);
    await screenshot(page, 'pds-sign-in');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Authorize' }).click();

    // Back on the page via /auth/callback → /?exchange_token=…, exchanged for the cookie.
    await page.waitForURL((url) => url.origin === web.url);
    await page.locator('#viewer-handle', { hasText: `@${artist.handle}` }).waitFor();
    expect(new URL(page.url()).search).toBe('');
    await page.locator('body[data-ready="true"]').waitFor();
    expect(await page.locator('#notice').textContent()).toBe('');
    await screenshot(page, 'signed-in');

    const cookies = await context.cookies(app.url);
    const session = cookies.find((c) => c.name === 'session_id');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });
    const scriptVisible = await page.evaluate(() => document.cookie);
    expect(scriptVisible).not.toContain('session_id');

    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    expect(await page.locator('#viewer-handle').textContent()).toBe(`@${artist.handle}`);
    expect(await page.locator('#sign-in').isHidden()).toBe(true);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#sign-in').waitFor({ state: 'visible' });
    expect((await context.cookies(app.url)).map((c) => c.name)).not.toContain('session_id');
    await context.close();
  });
});
