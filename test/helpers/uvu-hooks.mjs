// Module resolve hook: test files import 'uvu' as usual and get uvu-wrapper.mjs, which re-exports uvu.
const WRAPPER = new URL('./uvu-wrapper.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'uvu' && context.parentURL !== WRAPPER) return { url: WRAPPER, shortCircuit: true };
  return next(specifier, context);
}
