/**
 * Sign-in: email + password, then either TOTP enrolment (QR code and the secret as text, then the recovery codes,
 * shown once) or the second-factor step (TOTP code or a recovery code).
 */
import { api, setCsrfToken } from '../api.ts';
import { field, h, showError, statusLine } from '../dom.ts';
import type { View } from '../route.ts';
import { signedIn, type Operator } from '../session.ts';

type SignInAnswer = { csrfToken: string } & (
  | { state: 'enrol_totp'; enrolment: { secret: string; otpauthUrl: string; qrSvg: string } }
  | { state: 'second_factor'; methods: string[] }
);
type SignedIn = { state: 'signed_in'; operator: Operator; csrfToken: string; recoveryCodes?: string[] };

function done(answer: SignedIn): void {
  signedIn(answer.operator, answer.csrfToken);
  location.hash = '#/apps';
}

function codeForm(
  root: HTMLElement,
  id: string,
  label: string,
  submit: (code: string) => Promise<void>,
): HTMLFormElement {
  const code = field(label, `${id}-code`, { inputmode: 'numeric', autocomplete: 'one-time-code', required: true });
  const status = statusLine(`${id}-status`);
  const form = h(
    'form',
    { id: `${id}-form`, class: 'card' },
    code.wrap,
    h('button', { type: 'submit', id: `${id}-submit` }, 'Continue'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(code.input.value.trim()).catch((err: unknown) => showError(status, err));
  });
  root.appendChild(form);
  code.input.focus();
  return form;
}

function secondFactor(root: HTMLElement, methods: string[]): void {
  root.appendChild(h('h2', {}, 'Second factor'));
  codeForm(root, 'totp', 'Code from your authenticator app', async (code) =>
    done(await api<SignedIn>('POST', '/console/api/auth/totp', { code })),
  );
  if (methods.includes('recovery')) {
    root.appendChild(h('h2', {}, 'Or use a recovery code'));
    codeForm(root, 'recovery', 'Recovery code', async (code) =>
      done(await api<SignedIn>('POST', '/console/api/auth/recovery', { code })),
    );
  }
}

function enrol(root: HTMLElement, enrolment: { secret: string; otpauthUrl: string; qrSvg: string }): void {
  root.appendChild(h('h2', {}, 'Set up your authenticator'));
  root.appendChild(
    h('p', {}, 'Scan the code with an authenticator app, or type the secret into it, then enter the code it shows.'),
  );
  // As an image, so markup from the answer never becomes part of the page.
  root.appendChild(
    h('img', {
      id: 'totp-qr',
      alt: 'QR code of the authenticator secret',
      src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qrSvg)}`,
      width: 200,
      height: 200,
    }),
  );
  root.appendChild(h('p', {}, 'Secret: ', h('code', { id: 'totp-secret' }, enrolment.secret)));
  const form = codeForm(root, 'enrol', 'Code from your authenticator app', async (code) => {
    const answer = await api<SignedIn>('POST', '/console/api/auth/totp/enrol', { code });
    form.remove();
    const codes = answer.recoveryCodes ?? [];
    root.appendChild(h('h2', {}, 'Recovery codes'));
    root.appendChild(h('p', {}, 'Keep these somewhere safe: each works once, and they are shown only now.'));
    root.appendChild(h('ol', { id: 'recovery-codes' }, ...codes.map((c) => h('li', {}, h('code', {}, c)))));
    const next = h('button', { type: 'button', id: 'recovery-saved', onclick: () => done(answer) }, 'I saved them');
    root.appendChild(next);
    next.focus();
  });
}

export const signInView: View = async (root) => {
  const email = field('Email', 'email', { type: 'email', autocomplete: 'username', required: true });
  const password = field('Password', 'password', {
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const status = statusLine('sign-in-status');
  const form = h(
    'form',
    { id: 'sign-in-form', class: 'card' },
    email.wrap,
    password.wrap,
    h('button', { type: 'submit', id: 'sign-in-submit' }, 'Sign in'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    api<SignInAnswer>('POST', '/console/api/auth/sign-in', { email: email.input.value, password: password.input.value })
      .then((answer) => {
        // The factor steps are POSTs with the pending session's cookie, so they carry its CSRF token too.
        setCsrfToken(answer.csrfToken);
        form.remove();
        if (answer.state === 'enrol_totp') enrol(root, answer.enrolment);
        else secondFactor(root, answer.methods);
      })
      .catch((err: unknown) => showError(status, err));
  });
  root.appendChild(form);
  email.input.focus();
};
