// Imported first by the bin's entry (bin.ts), for its side effect: ES module order puts this before commander and
// the commands, so a signal from the first moment is caught (early-signals.ts says why). Only the bin imports it:
// a program that imports the library or main() keeps its own signal handling.
import { installSignalHandlers } from './early-signals.js';

installSignalHandlers();
