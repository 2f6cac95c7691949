// @peculiar/x509 resolves its internals through tsyringe, which needs the
// Reflect metadata polyfill loaded before it; every use in this lib goes
// through this module so that order holds whichever file is imported first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

export { x509 };
