// uvu prints a failure's `err.details` as a string; GuestdiskError.details is an object, so a test that throws
// one would crash uvu's reporter and lose the message. This wrapper turns such errors into plain Errors that
// carry code, message and details in the message text. Everything else is uvu unchanged.
import * as uvu from 'uvu';

function plain(e) {
  if (e && typeof e === 'object' && 'details' in e && typeof e.details !== 'string' && !String(e.name).startsWith('Assertion')) {
    const err = new Error(`${e.name}${e.code ? ` [${e.code}]` : ''}: ${e.message}\n  details: ${JSON.stringify(e.details)}`);
    err.stack = `${err.message}\n${String(e.stack ?? '').split('\n').slice(1).join('\n')}`;
    return err;
  }
  return e;
}

function wrapHandler(handler) {
  return async (...args) => {
    try {
      return await handler(...args);
    } catch (e) {
      throw plain(e);
    }
  };
}

function wrapSuite(real) {
  const test = (name, handler) => real(name, wrapHandler(handler));
  Object.assign(test, real);
  test.only = (name, handler) => real.only(name, wrapHandler(handler));
  return test;
}

export const test = wrapSuite(uvu.test);
export const suite = (...args) => wrapSuite(uvu.suite(...args));
export const exec = uvu.exec;
