// The 계정 tab: the accounts a manager may see (role, area, state), a form that creates one, and a dialog that
// edits one (role and area, 사용 중지/다시 사용, 잠금 해제, 비밀번호 재설정). Every write sends the version it
// read; a stale one comes back as the server's Korean 409, shown in the dialog.

import { ApiError, api } from './api.js';
import { formatDateTime, h, replace } from './dom.js';
import { ROLES } from './vocab.js';

const PASSWORD_HINT = '10자 이상, 아이디와 다르게, 흔하거나 단순한 비밀번호는 쓸 수 없습니다.';

function message() {
  return h('p', { class: 'job-message', attrs: { role: 'alert' }, hidden: true });
}

function say(el, text, ok = false) {
  el.textContent = text || '';
  el.classList.toggle('ok', ok);
  el.hidden = !text;
}

/** The state of an account in words, as small badges. */
function stateBadges(u) {
  const badges = [];
  badges.push(u.is_active
    ? h('span', { class: 'state state-on', text: '사용 중' })
    : h('span', { class: 'state state-off', text: '사용 중지' }));
  if (u.locked) badges.push(h('span', { class: 'state state-locked', text: '잠김', title: `${formatDateTime(u.locked_until)}까지` }));
  return badges;
}

/** Chooses the area a role needs: dongs (동 담당), tracts (통장) or the agency (협력기관). */
class ScopeEditor {
  constructor(places, facilities) {
    this.places = places;
    this.facilities = facilities;
    this.dongs = new Set();
    this.tracts = new Set();
    this.facility = null;
    this.el = h('div', { class: 'scope-editor' });
    this.role = null;
  }

  set(role, { dong_ids = [], tract_ids = [], facility_id = null } = {}) {
    this.dongs = new Set(dong_ids);
    this.tracts = new Set(tract_ids);
    this.facility = facility_id;
    this.setRole(role);
  }

  setRole(role) {
    this.role = role;
    if (role === 'dong_staff') this.drawDongs();
    else if (role === 'tongjang') this.drawTracts();
    else if (role === 'partner') this.drawFacility();
    else replace(this.el, h('p', { class: 'job-note', text: '관리자와 구청 담당은 구 전체를 봅니다. 담당 동을 고르지 않습니다.' }));
  }

  drawDongs() {
    const boxes = this.places.dongs.map((d) => h('label', { class: 'check' },
      h('input', {
        type: 'checkbox', name: 'dong', value: String(d.id), checked: this.dongs.has(d.id),
        on: { change: (e) => { if (e.target.checked) this.dongs.add(d.id); else this.dongs.delete(d.id); } },
      }), d.name));
    replace(this.el, h('fieldset', { class: 'job-choices scope-choices' },
      h('legend', { text: '담당 동 (하나 이상)' }), h('div', { class: 'scope-grid' }, boxes)));
  }

  drawTracts() {
    const chosen = this.places.tracts.find((t) => this.tracts.has(t.id));
    const dongSelect = h('select', { name: 'tract-dong', attrs: { 'aria-label': '통이 있는 동' } },
      ...this.places.dongs.map((d) => h('option', { value: String(d.id), text: d.name })));
    if (chosen) dongSelect.value = String(chosen.dong_id);
    const list = h('div', { class: 'scope-grid' });
    const drawList = () => {
      const dongId = Number(dongSelect.value);
      replace(list, this.places.tracts.filter((t) => t.dong_id === dongId).map((t) => h('label', { class: 'check' },
        h('input', {
          type: 'checkbox', name: 'tract', value: String(t.id), checked: this.tracts.has(t.id),
          on: { change: (e) => { if (e.target.checked) this.tracts.add(t.id); else this.tracts.delete(t.id); } },
        }), t.name)));
    };
    dongSelect.addEventListener('change', drawList);
    drawList();
    replace(this.el, h('fieldset', { class: 'job-choices scope-choices' },
      h('legend', { text: '맡은 통 (하나 이상)' }), h('label', { class: 'field' }, '동', dongSelect), list));
  }

  async drawFacility() {
    const select = h('select', { name: 'facility', attrs: { 'aria-label': '소속 기관' } },
      h('option', { value: '', text: '기관을 고르세요' }));
    replace(this.el, h('label', { class: 'field' }, '소속 기관', select));
    select.addEventListener('change', () => { this.facility = select.value ? Number(select.value) : null; });
    try {
      const items = await this.facilities();
      for (const f of items) select.append(h('option', { value: String(f.id), text: f.name }));
      if (this.facility) select.value = String(this.facility);
    } catch (err) {
      replace(this.el, h('p', { class: 'job-message', text: `기관 목록을 불러오지 못했습니다: ${err.message}` }));
    }
  }

  value() {
    return { dong_ids: [...this.dongs], tract_ids: [...this.tracts], facility_id: this.facility };
  }

  /** Only what the role uses; the server clears the rest and checks what is needed. */
  payload() {
    if (this.role === 'dong_staff') return { dong_ids: [...this.dongs].sort((a, b) => a - b), tract_ids: [] };
    if (this.role === 'tongjang') return { tract_ids: [...this.tracts].sort((a, b) => a - b), dong_ids: [] };
    if (this.role === 'partner') return { facility_id: this.facility, dong_ids: [], tract_ids: [] };
    return { dong_ids: [], tract_ids: [] };
  }
}

function roleSelect(me, value) {
  const roles = Object.entries(ROLES).filter(([code]) => code !== 'admin' || me.role === 'admin');
  const select = h('select', { name: 'role' }, ...roles.map(([code, text]) => h('option', { value: code, text })));
  select.value = value;
  return select;
}

export class AccountsPane {
  constructor(root, { onForbidden, onChanged }) {
    this.root = root;
    this.onForbidden = onForbidden;
    this.onChanged = onChanged;
    this.items = [];
    this.dialog = h('dialog', { id: 'account-dialog', class: 'job-dialog admin-dialog', attrs: { 'aria-labelledby': 'account-dialog-title' } });
    document.body.append(this.dialog);
    this.dialog.addEventListener('close', () => replace(this.dialog));
    this.facilityList = null;
  }

  reset() {
    this.items = [];
    replace(this.root);
  }

  start(me, places) {
    this.me = me;
    this.places = places;
    this.dongNames = new Map(places.dongs.map((d) => [d.id, d.name]));
    this.tractNames = new Map(places.tracts.map((t) => [t.id, t.name]));
    this.search = h('input', { type: 'search', id: 'acc-q', maxLength: 60, placeholder: '아이디·이름 검색', attrs: { 'aria-label': '아이디·이름 검색' } });
    this.roleFilter = h('select', { id: 'acc-role', attrs: { 'aria-label': '역할' } },
      h('option', { value: '', text: '모든 역할' }), ...Object.entries(ROLES).map(([c, t]) => h('option', { value: c, text: t })));
    this.count = h('strong', { class: 'list-count', attrs: { 'aria-live': 'polite' } });
    this.status = message();
    this.body = h('tbody');
    const create = h('button', { id: 'acc-new', type: 'button', class: 'primary', text: '새 계정', on: { click: () => this.openCreate() } });
    let timer = null;
    this.search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => this.load(), 250); });
    this.roleFilter.addEventListener('change', () => this.load());
    replace(this.root,
      h('div', { class: 'admin-toolbar' }, this.search, this.roleFilter, this.count, h('span', { class: 'toolbar-gap' }), create),
      this.status,
      h('div', { class: 'table-wrap' }, h('table', { id: 'account-table', class: 'admin-table account-table' },
        h('thead', {}, h('tr', {}, ...['아이디', '이름', '역할', '담당 구역', '상태', ''].map((t) => h('th', { scope: 'col', text: t })))),
        this.body)));
  }

  say(text) {
    if (this.status) say(this.status, text);
  }

  async load() {
    try {
      const data = await api.get('/admin/users', { q: this.search.value.trim(), role: this.roleFilter.value, limit: 500 });
      this.items = data.items;
      this.count.textContent = `계정 ${data.total}개`;
      this.draw();
      say(this.status, data.total > data.items.length ? `처음 ${data.items.length}개만 보입니다. 검색으로 좁혀 주세요.` : '');
    } catch (err) {
      this.failed(err, this.status);
    }
  }

  failed(err, where) {
    if (err instanceof ApiError && err.status === 403 && !this.dialog.open) { this.onForbidden(err.message); return; }
    if (err instanceof ApiError && err.status === 401) return;
    say(where, err.message);
  }

  area(u) {
    if (u.role === 'tongjang') return u.tract_ids.map((id) => this.tractNames.get(id) || `통 ${id}`).join(', ');
    if (u.role === 'dong_staff') return u.dong_ids.map((id) => this.dongNames.get(id) || `동 ${id}`).join(', ');
    if (u.role === 'partner') return u.facility_name || '기관 없음';
    return '구 전체';
  }

  draw() {
    replace(this.body, this.items.map((u) => h('tr', { dataset: { username: u.username }, class: u.is_active ? '' : 'inactive' },
      h('td', { class: 'cell-username', dataset: { label: '아이디' }, text: u.username }),
      h('td', { dataset: { label: '이름' }, text: u.display_name || '' }),
      h('td', { dataset: { label: '역할' }, text: ROLES[u.role] || u.role }),
      h('td', { class: 'cell-area', dataset: { label: '담당 구역' }, text: this.area(u) }),
      h('td', { dataset: { label: '상태' } }, stateBadges(u)),
      h('td', { class: 'cell-actions' }, h('button', {
        type: 'button', class: 'edit-button', text: '편집', attrs: { 'aria-label': `${u.username} 편집` },
        on: { click: () => this.openEdit(u) },
      })))));
    if (!this.items.length) this.body.append(h('tr', {}, h('td', { colSpan: 6, class: 'empty-row', text: '계정이 없습니다.' })));
  }

  facilities() {
    if (!this.facilityList) {
      this.facilityList = api.get('/facilities', { limit: 500 }).then((d) => d.items)
        .catch((err) => { this.facilityList = null; throw err; });
    }
    return this.facilityList;
  }

  openCreate() {
    const scope = new ScopeEditor(this.places, () => this.facilities());
    const role = roleSelect(this.me, 'dong_staff');
    const username = h('input', { name: 'username', maxLength: 60, autocomplete: 'off', autocapitalize: 'off', spellcheck: false, required: true });
    const displayName = h('input', { name: 'display_name', maxLength: 60, autocomplete: 'off' });
    const password = h('input', { name: 'password', type: 'password', maxLength: 128, autocomplete: 'new-password', required: true });
    const confirm = h('input', { name: 'password2', type: 'password', maxLength: 128, autocomplete: 'new-password', required: true });
    const note = message();
    const submit = h('button', { type: 'submit', class: 'primary', text: '계정 만들기' });
    scope.set('dong_staff');
    role.addEventListener('change', () => scope.setRole(role.value));
    const form = h('form', { class: 'job-form', id: 'create-form', noValidate: true },
      h('h2', { id: 'account-dialog-title', text: '새 계정' }),
      h('label', { class: 'field' }, '아이디 (영문 소문자·숫자)', username),
      h('label', { class: 'field' }, '이름 (선택)', displayName),
      h('label', { class: 'field' }, '역할', role),
      scope.el,
      h('label', { class: 'field' }, '비밀번호', password),
      h('label', { class: 'field' }, '비밀번호 확인', confirm),
      h('p', { class: 'job-note', text: PASSWORD_HINT }),
      note,
      h('div', { class: 'job-buttons' }, h('button', { type: 'button', text: '닫기', on: { click: () => this.dialog.close() } }), submit));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!username.value.trim()) { say(note, '아이디를 입력하세요.'); username.focus(); return; }
      if (!password.value) { say(note, '비밀번호를 입력하세요.'); password.focus(); return; }
      if (password.value !== confirm.value) { say(note, '비밀번호 확인이 일치하지 않습니다.'); confirm.focus(); return; }
      submit.disabled = true;
      try {
        const user = await api.post('/admin/users', {
          username: username.value.trim(), password: password.value, role: role.value,
          display_name: displayName.value.trim() || null, ...scope.payload(),
        });
        password.value = '';
        confirm.value = '';
        this.dialog.close();
        say(this.status, `계정을 만들었습니다: ${user.username} (${ROLES[user.role] || user.role})`, true);
        this.onChanged();
        await this.load();
        say(this.status, `계정을 만들었습니다: ${user.username} (${ROLES[user.role] || user.role})`, true);
      } catch (err) {
        this.failed(err, note);
      } finally {
        submit.disabled = false;
      }
    });
    replace(this.dialog, form);
    this.dialog.showModal();
    username.focus();
  }

  openEdit(user) {
    this.editing = user;
    this.drawEdit();
    this.dialog.showModal();
  }

  drawEdit(notice = '') {
    const u = this.editing;
    const own = u.id === this.me.user_id || u.username === this.me.username;
    const scope = new ScopeEditor(this.places, () => this.facilities());
    const role = roleSelect(this.me, u.role);
    role.disabled = own;
    const displayName = h('input', { name: 'display_name', maxLength: 60, value: u.display_name || '', autocomplete: 'off' });
    const note = message();
    scope.set(u.role, u);
    role.addEventListener('change', () => scope.setRole(role.value));
    const save = h('button', { type: 'submit', class: 'primary', id: 'edit-save', text: '저장' });

    const run = async (button, work, done) => {
      button.disabled = true;
      try {
        this.editing = await work();
        this.onChanged();
        this.drawEdit(done);
        this.load();
      } catch (err) {
        this.failed(err, note);
        button.disabled = false;
      }
    };

    const form = h('form', { class: 'job-form', id: 'edit-form', noValidate: true },
      h('h2', { id: 'account-dialog-title', text: `계정 편집 · ${u.username}` }),
      h('div', { class: 'edit-state' }, stateBadges(u), u.locked ? h('span', { class: 'job-note', text: `${formatDateTime(u.locked_until)}까지 잠김` }) : null),
      note,
      h('label', { class: 'field' }, '이름', displayName),
      h('label', { class: 'field' }, own ? '역할 (자기 계정의 역할은 바꿀 수 없습니다)' : '역할', role),
      scope.el,
      h('div', { class: 'job-buttons' }, save));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      run(save, () => api.patch(`/admin/users/${u.id}`, {
        version: u.version, role: role.value, display_name: displayName.value.trim() || null, ...scope.payload(),
      }), '저장했습니다.');
    });

    const toggle = h('button', {
      type: 'button', id: 'edit-active', text: u.is_active ? '사용 중지' : '다시 사용', disabled: own && u.is_active,
      on: { click: () => run(toggle, () => api.patch(`/admin/users/${u.id}`, { version: u.version, is_active: !u.is_active }),
        u.is_active ? '사용 중지했습니다. 열린 세션은 모두 끝났습니다.' : '다시 사용할 수 있게 했습니다.') },
    });
    const unlock = h('button', {
      type: 'button', id: 'edit-unlock', text: '잠금 해제', disabled: !u.locked,
      on: { click: () => run(unlock, () => api.post(`/admin/users/${u.id}/unlock`, { version: u.version }), '잠금을 풀었습니다. 이제 로그인할 수 있습니다.') },
    });
    const password = h('input', { name: 'new-password', type: 'password', maxLength: 128, autocomplete: 'new-password' });
    const confirm = h('input', { name: 'new-password2', type: 'password', maxLength: 128, autocomplete: 'new-password' });
    const reset = h('button', { type: 'submit', id: 'edit-password', text: '비밀번호 재설정' });
    const passwordForm = h('form', { class: 'job-form password-form', noValidate: true },
      h('h3', { text: '비밀번호 재설정' }),
      h('label', { class: 'field' }, '새 비밀번호', password),
      h('label', { class: 'field' }, '새 비밀번호 확인', confirm),
      h('p', { class: 'job-note', text: `${PASSWORD_HINT} 바꾸면 이 계정의 열린 세션이 모두 끝납니다.` }),
      h('div', { class: 'job-buttons' }, reset));
    passwordForm.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!password.value) { say(note, '새 비밀번호를 입력하세요.'); password.focus(); return; }
      if (password.value !== confirm.value) { say(note, '비밀번호 확인이 일치하지 않습니다.'); confirm.focus(); return; }
      const value = password.value;
      run(reset, () => api.post(`/admin/users/${u.id}/password`, { password: value, version: u.version }),
        '비밀번호를 바꿨습니다. 열린 세션은 모두 끝났습니다.');
    });

    replace(this.dialog,
      form,
      h('div', { class: 'job-form account-actions' },
        h('h3', { text: '계정 상태' }),
        h('div', { class: 'job-buttons start' }, toggle, unlock)),
      passwordForm,
      h('div', { class: 'job-form dialog-foot' }, h('div', { class: 'job-buttons' },
        h('button', { type: 'button', text: '닫기', on: { click: () => this.dialog.close() } }))));
    if (notice) say(note, notice, true);
  }
}
