// Where a host keeps Cachet's encrypted drafts (confidential compose mode): the Drafts folder
// of the mailbox, through Microsoft Graph (Outlook) or the dev mailbox's subset of it (the
// standalone page). Only ciphertext is ever given to it: the UI hands over drafts already
// encrypted to the sender (ui/drafts.ts). A draft is never changed in place: saving again
// uploads a new one (Graph creates a draft from MIME with POST /me/messages), then the old one
// is deleted permanently, so a failed save never loses the previous draft.
import { GraphError, type GraphClient } from './graph';

/** The Subject every encrypted draft shows outside (the core's draft::OUTER_SUBJECT). */
export const DRAFT_SUBJECT = 'Encrypted draft (Cachet)';

export interface StoredDraft {
  id: string;
  /** When the server filed it (ISO 8601). */
  saved: string;
}

export interface DraftFolder {
  /**
   * Store an encrypted draft (complete MIME; `meta` names its sender and the wrapper's
   * Message-ID); resolves to its id, or '' when the host filed it but cannot tell its id.
   */
  save(mime: Uint8Array, meta: { from: string; messageId: string }): Promise<string>;
  /** The drafts that look like Cachet's (the UI checks each one's marker before use), newest first. */
  list(): Promise<StoredDraft[]>;
  /** The stored bytes of a draft. */
  get(id: string): Promise<Uint8Array>;
  /** Delete a draft permanently (not into Deleted Items, unless the mailbox refuses: it holds only ciphertext). */
  remove(id: string): Promise<void>;
}

/**
 * Delete permanently; where the mailbox refuses permanentDelete for the item (400, 404, 405),
 * a plain delete, which Graph makes a move into Deleted Items: resolves to where it went.
 */
export async function deletePermanently(graph: GraphClient, id: string): Promise<'gone' | 'deleted-items'> {
  try {
    await graph.permanentDelete(id);
    return 'gone';
  } catch (e) {
    if (!(e instanceof GraphError && (e.status === 400 || e.status === 404 || e.status === 405))) throw e;
    await graph.delete(id);
    return 'deleted-items';
  }
}

/** The Drafts folder of a Graph mailbox as a DraftFolder. */
export function graphDrafts(graph: GraphClient): DraftFolder {
  return {
    save: (mime) => graph.createDraft(mime),
    async list() {
      const all = await graph.list('drafts');
      return all.filter((m) => m.subject === DRAFT_SUBJECT).map((m) => ({ id: m.id, saved: m.received }));
    },
    get: (id) => graph.getMime(id),
    async remove(id) {
      await deletePermanently(graph, id);
    },
  };
}
