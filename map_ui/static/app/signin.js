// The sign-in form the map page and the administration page share: the empty-field check, the busy button and
// the Korean messages. The token it gets stays in api.js's memory.

import { ApiError, login } from './api.js';

/** Show the form (hiding the app) with an optional message; the password is cleared. */
export function showSignIn(view, message) {
  view.app.hidden = true;
  view.login.hidden = false;
  view.message.textContent = message || '';
  view.message.hidden = !message;
  view.form.elements.password.value = '';
  view.form.elements.username.focus();
}

/**
 * Sign in on submit, then `start(t0, {username, password})` (t0: when the button was pressed; the password only
 * to derive the key of the phone's offline store, never kept). A failure after the app is showing goes
 * to `onLateError` when given (the map keeps its screen); otherwise back to the form with the message.
 */
export function wireSignIn(view, start, { onLateError = null } = {}) {
  // The page comes with the button disabled: pressed before this module ran, the form would submit itself as
  // a GET and put the password in the address.
  view.form.querySelector('button[type="submit"]').disabled = false;
  view.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const t0 = performance.now();
    const button = view.form.querySelector('button[type="submit"]');
    const username = view.form.elements.username.value.trim();
    const password = view.form.elements.password.value;
    if (!username || !password) {
      view.message.textContent = '아이디와 비밀번호를 입력하세요.';
      view.message.hidden = false;
      return;
    }
    button.disabled = true;
    button.textContent = '로그인 중…';
    try {
      await login(username, password);
      await start(t0, { username, password });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) showSignIn(view, '아이디 또는 비밀번호가 올바르지 않습니다.');
      else if (onLateError && !view.app.hidden) onLateError(err);
      else showSignIn(view, err.message || '로그인하지 못했습니다.');
    } finally {
      button.disabled = false;
      button.textContent = '로그인';
    }
  });
}
