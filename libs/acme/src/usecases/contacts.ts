import { Problems } from '../problem';

const MAX_CONTACTS = 10;
// One addr-spec, no hfields (RFC 8555 §7.3: servers may reject mailto with hfields).
const MAILTO = /^mailto:[^@\s?,;:<>]{1,64}@[a-z0-9.-]{1,253}$/i;

/** Validates the "contact" field of newAccount/account updates (RFC 8555 §7.3, §7.3.2). */
export function validateContacts(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((c) => typeof c !== 'string')) {
    throw Problems.malformed('"contact" must be an array of strings');
  }
  if (value.length > MAX_CONTACTS) throw Problems.invalidContact(`at most ${MAX_CONTACTS} contacts are allowed`);
  for (const contact of value as string[]) {
    if (!contact.toLowerCase().startsWith('mailto:')) {
      throw Problems.unsupportedContact('only mailto: contacts are supported');
    }
    if (!MAILTO.test(contact))
      throw Problems.invalidContact(`"${contact.slice(0, 100)}" is not a valid mailto: contact`);
  }
  return value as string[];
}
