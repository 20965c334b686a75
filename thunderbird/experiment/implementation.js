/* This is Cachet's WebExtension Experiment: the one piece that runs with Thunderbird's full
 * privileges, because no MailExtension API sends a MIME message built elsewhere
 * (compose.onBeforeSend can only change fields, and Thunderbird then rebuilds the MIME, which
 * breaks a signature). It does one thing: write the bytes Cachet built to a private temporary
 * file and give it to nsIMsgSend.sendMessageFile, the call Thunderbird's calendar uses to send
 * invitations, which delivers it unchanged over the identity's SMTP server, files a copy in
 * the identity's Sent folder (unless told not to: a Bcc recipient's copy) and deletes the file.
 * Its second function files an encrypted draft Cachet built (ciphertext only) in the identity's
 * Drafts folder through the same call in Thunderbird's save-as-draft mode: Thunderbird's own
 * draft mechanism, with bytes that were encrypted before they reached it. */
"use strict";

/* global ExtensionCommon, ChromeUtils, Components, Cc, Ci, Services, IOUtils */
var { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
var { ExtensionUtils } = ChromeUtils.importESModule("resource://gre/modules/ExtensionUtils.sys.mjs");

/** The largest message handed over (Thunderbird's own default size limits are larger). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

function bytesOf(message) {
  if (message instanceof ArrayBuffer) return new Uint8Array(message);
  if (ArrayBuffer.isView(message)) return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  throw new ExtensionUtils.ExtensionError("sendRaw: the message must be bytes (Uint8Array or ArrayBuffer).");
}

async function sendRaw(identityId, envelope, message) {
  const identity = MailServices.accounts.getIdentity(identityId);
  if (!identity || !identity.email) throw new ExtensionUtils.ExtensionError(`sendRaw: there is no identity ${identityId}.`);
  const bytes = bytesOf(message);
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_MESSAGE_BYTES) throw new ExtensionUtils.ExtensionError("sendRaw: the message is empty or too large.");
  const recipients = [...envelope.to, ...envelope.cc, ...envelope.bcc];
  if (recipients.length === 0) throw new ExtensionUtils.ExtensionError("sendRaw: there is no recipient.");

  const file = Services.dirsvc.get("TmpD", Ci.nsIFile);
  file.append("cachet-outgoing.eml");
  file.createUnique(Ci.nsIFile.NORMAL_FILE_TYPE, 0o600);
  await IOUtils.write(file.path, bytes);

  const fields = Cc["@mozilla.org/messengercompose/composefields;1"].createInstance(Ci.nsIMsgCompFields);
  fields.from = envelope.from;
  fields.to = envelope.to.join(", ");
  fields.cc = envelope.cc.join(", ");
  fields.bcc = envelope.bcc.join(", ");
  if (envelope.messageId) fields.messageId = envelope.messageId;
  // A Bcc recipient's own copy is not filed again: the Sent folder keeps the main copy.
  const fcc = envelope.sentCopy !== false && identity.doFcc;
  if (!fcc) fields.fcc = "nocopy://";

  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (error) => {
      if (settled) return;
      settled = true;
      if (error) reject(new ExtensionUtils.ExtensionError(error));
      else resolve();
    };
    const listener = {
      QueryInterface: ChromeUtils.generateQI(["nsIMsgSendListener", "nsIMsgCopyServiceListener"]),
      onStartSending() {},
      onSendProgress() {},
      onProgress() {},
      onStatus() {},
      onGetDraftFolderURI() {},
      onTransportSecurityError() {},
      onSendNotPerformed(msgId, status) {
        done(`Thunderbird did not send the message (status 0x${(status >>> 0).toString(16)}).`);
      },
      onStopSending(msgId, status, msg) {
        if (!Components.isSuccessCode(status)) done(`Sending failed: ${msg || `status 0x${(status >>> 0).toString(16)}`}.`);
        else if (!fcc) done();
      },
      onStartCopy() {},
      setMessageKey() {},
      getMessageId() {
        return null;
      },
      onStopCopy(status) {
        // Delivered; the Sent copy is done (or failed: the message went out all the same).
        done();
      },
    };
    try {
      const send = Cc["@mozilla.org/messengercompose/send;1"].createInstance(Ci.nsIMsgSend);
      send.sendMessageFile(identity, null, fields, file, true, false, Ci.nsIMsgSend.nsMsgDeliverNow, null, listener, null, null);
    } catch (e) {
      file.remove(false);
      done(`Sending failed: ${e.message}`);
    }
  });
}

async function saveDraft(identityId, message) {
  const identity = MailServices.accounts.getIdentity(identityId);
  if (!identity || !identity.email) throw new ExtensionUtils.ExtensionError(`saveDraft: there is no identity ${identityId}.`);
  const bytes = bytesOf(message);
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_MESSAGE_BYTES) throw new ExtensionUtils.ExtensionError("saveDraft: the draft is empty or too large.");

  const file = Services.dirsvc.get("TmpD", Ci.nsIFile);
  file.append("cachet-draft.eml");
  file.createUnique(Ci.nsIFile.NORMAL_FILE_TYPE, 0o600);
  await IOUtils.write(file.path, bytes);

  const fields = Cc["@mozilla.org/messengercompose/composefields;1"].createInstance(Ci.nsIMsgCompFields);
  fields.from = identity.email;

  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (error) => {
      if (settled) return;
      settled = true;
      if (error) reject(new ExtensionUtils.ExtensionError(error));
      else resolve();
    };
    const listener = {
      QueryInterface: ChromeUtils.generateQI(["nsIMsgSendListener", "nsIMsgCopyServiceListener"]),
      onStartSending() {},
      onSendProgress() {},
      onProgress() {},
      onStatus() {},
      onGetDraftFolderURI() {},
      onTransportSecurityError() {},
      onSendNotPerformed(msgId, status) {
        done(`Thunderbird did not save the draft (status 0x${(status >>> 0).toString(16)}).`);
      },
      onStopSending(msgId, status, msg) {
        if (!Components.isSuccessCode(status)) done(`Saving the draft failed: ${msg || `status 0x${(status >>> 0).toString(16)}`}.`);
      },
      onStartCopy() {},
      setMessageKey() {},
      getMessageId() {
        return null;
      },
      onStopCopy(status) {
        if (Components.isSuccessCode(status)) done();
        else done(`Saving the draft failed (status 0x${(status >>> 0).toString(16)}).`);
      },
    };
    try {
      const send = Cc["@mozilla.org/messengercompose/send;1"].createInstance(Ci.nsIMsgSend);
      send.sendMessageFile(identity, null, fields, file, true, false, Ci.nsIMsgSend.nsMsgSaveAsDraft, null, listener, null, null);
    } catch (e) {
      file.remove(false);
      done(`Saving the draft failed: ${e.message}`);
    }
  });
}

var cachetSend = class extends ExtensionCommon.ExtensionAPI {
  getAPI() {
    return { cachetSend: { sendRaw, saveDraft } };
  }
};
