/**
 * Reasoning and answer, split from a model's text as it streams. Two shapes occur: `<think>…</think>` then the answer
 * (Qwen3-VL thinking models), and free reasoning followed by `<answer>…</answer>` (GeoZero's "Type1" system prompt).
 * The answer follows GeoZero's evaluation (`extract_answer_block`): the first non-empty `<answer>` block, else the
 * first (empty) one, else — our addition for the think shape — the text after `</think>`, else the whole text.
 */

/** A snapshot of the parse, tagged by `status`. */
export type AnswerState =
  | { status: "thinking"; think: string; answer: ""; text: string }
  | { status: "answering"; think: string; answer: string; text: string }
  | { status: "done"; think: string; answer: string; text: string; stopped: boolean };

const ANSWER_BLOCK = /<answer>([\s\S]*?)<\/answer>/g;

/** Splits complete text into reasoning and answer. */
export function splitAnswer(text: string): { think: string; answer: string; answerStart: number } {
  const blocks = [...text.matchAll(ANSWER_BLOCK)];
  if (blocks.length > 0) {
    const chosen = blocks.find((m) => m[1].trim() !== "") ?? blocks[0];
    const start = (chosen.index ?? 0) + "<answer>".length;
    return {
      think: stripThinkTags(text.slice(0, chosen.index)),
      answer: chosen[1].trim(),
      answerStart: start + leadingSpace(chosen[1]),
    };
  }
  const thinkEnd = text.indexOf("</think>");
  if (thinkEnd >= 0) {
    const after = text.slice(thinkEnd + "</think>".length);
    return {
      think: stripThinkTags(text.slice(0, thinkEnd)),
      answer: after.trim(),
      answerStart: thinkEnd + 8 + leadingSpace(after),
    };
  }
  return { think: "", answer: text.trim(), answerStart: leadingSpace(text) };
}

function leadingSpace(s: string): number {
  return s.length - s.trimStart().length;
}

function stripThinkTags(s: string): string {
  return s.replace(/<\/?think>/g, "").trim();
}

/** The longest suffix of `text` that is a proper prefix of one of the tags: it may become a tag with the next token. */
function pendingTagLength(text: string): number {
  const tags = ["<think>", "</think>", "<answer>", "</answer>"];
  for (let n = Math.min(text.length, 8); n > 0; n--) {
    const tail = text.slice(-n);
    if (tags.some((tag) => tag.startsWith(tail) && tag !== tail)) return n;
  }
  return 0;
}

/**
 * Splits streaming text, token by token. While the model writes, a tag split across tokens (`<ans` + `wer>`) is held
 * back rather than shown, and an `<answer>` block still open counts as the answer so far.
 */
export class AnswerStream {
  private text = "";

  /** Adds the next piece of decoded text and returns the new state. */
  push(piece: string): AnswerState {
    this.text += piece;
    return this.state();
  }

  /** The state so far. */
  state(): AnswerState {
    return this.splitWhileStreaming(this.text.slice(0, this.text.length - pendingTagLength(this.text)));
  }

  private splitWhileStreaming(visible: string): Exclude<AnswerState, { status: "done" }> {
    const open = visible.lastIndexOf("<answer>");
    const closedAfterOpen = open >= 0 && visible.indexOf("</answer>", open) >= 0;
    if (open >= 0 && !closedAfterOpen && !hasNonEmptyBlock(visible)) {
      return {
        status: "answering",
        think: stripThinkTags(visible.slice(0, open)),
        answer: visible.slice(open + 8).trimStart(),
        text: visible,
      };
    }
    if (hasNonEmptyBlock(visible) || visible.includes("</think>")) {
      const { think, answer } = splitAnswer(visible);
      return { status: "answering", think, answer, text: visible };
    }
    return { status: "thinking", think: stripThinkTags(visible), answer: "", text: visible };
  }

  /**
   * Ends the stream: the final split of the whole text; `stopped` marks a generation the user cut short. A stopped
   * text keeps the split it had while streaming: reasoning cut off before any answer tag stays reasoning and the
   * answer stays empty, rather than the whole text being taken for the answer.
   */
  end(stopped = false): AnswerState {
    if (stopped) {
      const { think, answer } = this.splitWhileStreaming(this.text);
      return { status: "done", think, answer, text: this.text, stopped };
    }
    const { think, answer } = splitAnswer(this.text);
    return { status: "done", think, answer, text: this.text, stopped };
  }
}

function hasNonEmptyBlock(text: string): boolean {
  return [...text.matchAll(ANSWER_BLOCK)].some((m) => m[1].trim() !== "");
}
