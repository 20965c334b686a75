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

function bytesOf(what, message) {
  if (message instanceof ArrayBuffer) return new Uint8Array(message);
  if (ArrayBuffer.isView(message)) return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  throw new ExtensionUtils.ExtensionError(`${what}: the message must be bytes (Uint8Array or ArrayBuffer).`);
}

/** The identity `identityId`, which must have an address; `what` names the caller in errors. */
function identityOf(what, identityId) {
  const identity = MailServices.accounts.getIdentity(identityId);
  if (!identity || !identity.email) throw new ExtensionUtils.ExtensionError(`${what}: there is no identity ${identityId}.`);
  return identity;
}

/** `bytes` in a new private (0600) temporary file named after `name`. */
async function privateTempFile(name, bytes) {
  const file = Services.dirsvc.get("TmpD", Ci.nsIFile);
  file.append(name);
  file.createUnique(Ci.nsIFile.NORMAL_FILE_TYPE, 0o600);
  await IOUtils.write(file.path, bytes);
  return file;
}

const hexStatus = (status) => `status 0x${(status >>> 0).toString(16)}`;

/**
 * Hand `file` to nsIMsgSend.sendMessageFile in `mode` (deliver now, or save as draft), which
 * deletes the file when done. Resolves once Thunderbird is done with it: when it was sent and
 * `doneWhenSent` (no copy is filed), otherwise when the copy is filed. `words` says what failed:
 * `notDone` ("Thunderbird did not …"), `failed` ("… failed"); a failed copy is an error only
 * when `copyMustSucceed` (a draft is nothing but its copy; a sent message went out all the same).
 */
function sendMessageFile(identity, fields, file, mode, { doneWhenSent, copyMustSucceed, notDone, failed }) {
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
        done(`Thunderbird did not ${notDone} (${hexStatus(status)}).`);
      },
      onStopSending(msgId, status, msg) {
        if (!Components.isSuccessCode(status)) done(`${failed}: ${msg || hexStatus(status)}.`);
        else if (doneWhenSent) done();
      },
      onStartCopy() {},
      setMessageKey() {},
      getMessageId() {
        return null;
      },
      onStopCopy(status) {
        if (!copyMustSucceed || Components.isSuccessCode(status)) done();
        else done(`${failed} (${hexStatus(status)}).`);
      },
    };
    try {
      const send = Cc["@mozilla.org/messengercompose/send;1"].createInstance(Ci.nsIMsgSend);
      send.sendMessageFile(identity, null, fields, file, true, false, mode, null, listener, null, null);
    } catch (e) {
      file.remove(false);
      done(`${failed}: ${e.message}`);
    }
  });
}

function composeFields() {
  return Cc["@mozilla.org/messengercompose/composefields;1"].createInstance(Ci.nsIMsgCompFields);
}

async function sendRaw(identityId, envelope, message) {
  const identity = identityOf("sendRaw", identityId);
  const bytes = bytesOf("sendRaw", message);
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_MESSAGE_BYTES) throw new ExtensionUtils.ExtensionError("sendRaw: the message is empty or too large.");
  const recipients = [...envelope.to, ...envelope.cc, ...envelope.bcc];
  if (recipients.length === 0) throw new ExtensionUtils.ExtensionError("sendRaw: there is no recipient.");

  const file = await privateTempFile("cachet-outgoing.eml", bytes);
  const fields = composeFields();
  fields.from = envelope.from;
  fields.to = envelope.to.join(", ");
  fields.cc = envelope.cc.join(", ");
  fields.bcc = envelope.bcc.join(", ");
  if (envelope.messageId) fields.messageId = envelope.messageId;
  // A Bcc recipient's own copy is not filed again: the Sent folder keeps the main copy.
  const fcc = envelope.sentCopy !== false && identity.doFcc;
  if (!fcc) fields.fcc = "nocopy://";
  // Delivered; the Sent copy is done (or failed: the message went out all the same).
  return sendMessageFile(identity, fields, file, Ci.nsIMsgSend.nsMsgDeliverNow, { doneWhenSent: !fcc, copyMustSucceed: false, notDone: "send the message", failed: "Sending failed" });
}

async function saveDraft(identityId, message) {
  const identity = identityOf("saveDraft", identityId);
  const bytes = bytesOf("saveDraft", message);
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_MESSAGE_BYTES) throw new ExtensionUtils.ExtensionError("saveDraft: the draft is empty or too large.");

  const file = await privateTempFile("cachet-draft.eml", bytes);
  const fields = composeFields();
  fields.from = identity.email;
  return sendMessageFile(identity, fields, file, Ci.nsIMsgSend.nsMsgSaveAsDraft, { doneWhenSent: false, copyMustSucceed: true, notDone: "save the draft", failed: "Saving the draft failed" });
}

var cachetSend = class extends ExtensionCommon.ExtensionAPI {
  getAPI() {
    return { cachetSend: { sendRaw, saveDraft } };
  }
};
