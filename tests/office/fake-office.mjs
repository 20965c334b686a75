// A small fake of the Office.js objects the Outlook adapter uses (Mailbox 1.14), with Office's
// callback conventions ({status, value, error}). It records calls so tests can assert on them.

const ok = (value) => ({ status: 'succeeded', value });
const failed = (name, message) => ({ status: 'failed', value: undefined, error: { name, message, code: 9999 } });
const later = (cb, r) => setTimeout(() => cb(r), 0);
const getter = (value, calls, name) => ({ getAsync: (cb) => { calls.push(name); later(cb, ok(value)); } });
const details = (list) => list.map(([displayName, emailAddress]) => ({ displayName, emailAddress }));

function base({ user, item, officeTheme }) {
  const associated = {};
  /** Handlers added with mailbox.addHandlerAsync, by event type (ItemChanged: 'olkItemSelectedChanged'). */
  const handlers = {};
  return {
    associated,
    handlers,
    onReady: async () => ({ host: 'Outlook', platform: 'OfficeOnline' }),
    context: {
      mailbox: {
        item,
        userProfile: { emailAddress: user.address, displayName: user.name },
        // Outlook item ids (EWS) differ from Graph (REST) ids; here the EWS id is "ews:" + REST id.
        convertToRestId: (id, version) => {
          if (version !== 'v2.0') throw new Error(`unexpected REST version ${version}`);
          return id.replace(/^ews:/, '');
        },
        addHandlerAsync: (type, handler, cb) => {
          (handlers[type] ??= []).push(handler);
          if (cb) later(cb, ok(undefined));
        },
      },
      // Outlook's theme colours; `officeTheme` option, e.g. { bodyBackgroundColor: '#292929' } for dark.
      ...(officeTheme ? { officeTheme } : {}),
    },
    actions: { associate: (name, fn) => { associated[name] = fn; } },
  };
}

/** A message open in read mode; `file` is the base64 Outlook's getAsFileAsync gives (or an error). */
function readItem({ itemId, file, delayMs = 0 }, calls, notices = new Map()) {
  return {
    itemType: 'message',
    itemId,
    internetMessageId: '<x@example.org>',
    notificationMessages: {
      replaceAsync: (key, msg, cb) => { notices.set(key, msg); later(cb ?? (() => {}), ok(undefined)); },
      removeAsync: (key, cb) => { notices.delete(key); later(cb ?? (() => {}), ok(undefined)); },
    },
    getAsFileAsync: (cb) => {
      calls.push('getAsFileAsync');
      setTimeout(() => cb(file instanceof Error ? failed('GenericResponseError', file.message) : ok(file)), delayMs);
    },
  };
}

/**
 * A message open in read mode. `select({ itemId, file, delayMs })` moves to another message (or
 * to none, with null) as a pinned task pane sees it: the item changes, then ItemChanged fires.
 */
export function readOffice({ user, itemId, file, officeTheme }) {
  const calls = [];
  const notices = new Map();
  const office = base({ user, item: readItem({ itemId, file }, calls, notices), officeTheme });
  const select = (next) => {
    office.context.mailbox.item = next ? readItem(next, calls, notices) : null;
    for (const h of office.handlers.olkItemSelectedChanged ?? []) h({ type: 'olkItemSelectedChanged' });
  };
  return { office, calls, select, notices };
}

/** A message being composed. `draftId` is the EWS id saveAsync returns. */
export function composeOffice({ user, from, to = [], cc = [], bcc = [], subject = '', text = '', html = null, attachments = [], draftId = 'ews:none', officeTheme }) {
  const calls = [];
  const session = new Map();
  const notices = new Map();
  const item = {
    itemType: 'message',
    subject: getter(subject, calls, 'subject'),
    to: getter(details(to), calls, 'to'),
    cc: getter(details(cc), calls, 'cc'),
    bcc: getter(details(bcc), calls, 'bcc'),
    from: getter(from ? { displayName: from[0], emailAddress: from[1] } : { displayName: user.name, emailAddress: user.address }, calls, 'from'),
    body: {
      getTypeAsync: (cb) => later(cb, ok(html === null ? 'text' : 'html')),
      getAsync: (coercion, cb) => { calls.push(`body:${coercion}`); later(cb, ok(coercion === 'html' ? html : text)); },
    },
    // Compose mode gives no content type; Outlook on the web gives an inline image's Content-ID.
    getAttachmentsAsync: (cb) => later(cb, ok(attachments.map((a, i) => ({
      id: `att${i}`, name: a.name, isInline: a.inline === true, ...(a.contentId ? { contentId: a.contentId } : {}),
      attachmentType: a.format === 'url' ? 'cloud' : a.format === 'eml' ? 'item' : 'file', size: a.content.length,
    })))),
    getAttachmentContentAsync: (id, cb) => {
      const a = attachments[Number(id.slice(3))];
      later(cb, a ? ok({ content: a.content, format: a.format ?? 'base64' }) : failed('AttachmentNotFound', id));
    },
    saveAsync: (cb) => { calls.push('saveAsync'); later(cb, ok(draftId)); },
    closeAsync: (cb) => { calls.push('closeAsync'); later(cb, ok(undefined)); },
    sessionData: {
      getAsync: (name, cb) => later(cb, session.has(name) ? ok(session.get(name)) : failed('SessionObjectNotFound', name)),
      setAsync: (name, value, cb) => { session.set(name, value); later(cb, ok(undefined)); },
    },
    notificationMessages: {
      replaceAsync: (key, msg, cb) => { notices.set(key, msg); later(cb ?? (() => {}), ok(undefined)); },
      removeAsync: (key, cb) => { notices.delete(key); later(cb ?? (() => {}), ok(undefined)); },
    },
  };
  return { office: base({ user, item, officeTheme }), calls, session, notices };
}
