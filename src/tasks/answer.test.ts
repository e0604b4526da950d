import { describe, expect, it } from "vitest";
import { AnswerStream, splitAnswer } from "./answer";

// Expected answers follow GeoZero's extract_answer_block: first non-empty <answer> block, else the first block,
// else the whole text stripped (single_infer_eval_qwen3vl_think.py).
const corpus: Array<{ text: string; think: string; answer: string }> = [
  {
    text: "The image shows runways and parked aircraft. <answer>airport</answer>",
    think: "The image shows runways and parked aircraft.",
    answer: "airport",
  },
  {
    text: "<think>Dense roofs, a grid of streets.</think>\n\ndense residential",
    think: "Dense roofs, a grid of streets.",
    answer: "dense residential",
  },
  {
    text: "Reasoning. <answer> </answer> more <answer>river</answer>",
    think: "Reasoning. <answer> </answer> more",
    answer: "river",
  },
  { text: "Nothing tagged here", think: "", answer: "Nothing tagged here" },
  { text: "<answer></answer>", think: "", answer: "" },
  {
    text: "I see [1, [2, 3]] brackets <answer>[10, 20, 30, 40]</answer>",
    think: "I see [1, [2, 3]] brackets",
    answer: "[10, 20, 30, 40]",
  },
];

describe("splitAnswer", () => {
  for (const sample of corpus) {
    it(`splits ${JSON.stringify(sample.text.slice(0, 40))}`, () => {
      const { think, answer } = splitAnswer(sample.text);
      expect(answer).toBe(sample.answer);
      expect(think).toBe(sample.think);
    });
  }
});

describe("AnswerStream", () => {
  it("gives the same final split for every way of cutting the text into two tokens", () => {
    for (const sample of corpus) {
      for (let cut = 0; cut <= sample.text.length; cut++) {
        const stream = new AnswerStream();
        stream.push(sample.text.slice(0, cut));
        stream.push(sample.text.slice(cut));
        const done = stream.end();
        expect(done.answer).toBe(sample.answer);
        expect(done.think).toBe(sample.think);
      }
    }
  });

  it("never shows part of a tag while it is split across tokens", () => {
    const text = "Looking at fields. <answer>farmland</answer>";
    const pieces = text.match(/.{1,3}/gs) ?? [];
    const stream = new AnswerStream();
    for (const piece of pieces) {
      const state = stream.push(piece);
      expect(state.think + state.answer).not.toMatch(/<\/?a(n(s(w(e(r)?)?)?)?)?$|<$/);
    }
  });

  it("moves from thinking to answering when the answer block opens, and streams the open block", () => {
    const stream = new AnswerStream();
    expect(stream.push("The river bends ").status).toBe("thinking");
    const open = stream.push("here. <answer>riv");
    expect(open).toMatchObject({ status: "answering", think: "The river bends here.", answer: "riv" });
    expect(stream.push("er</answer>")).toMatchObject({ status: "answering", answer: "river" });
    expect(stream.end()).toMatchObject({ status: "done", answer: "river", stopped: false });
  });

  it("keeps an unclosed think block as reasoning and marks a stopped stream", () => {
    const stream = new AnswerStream();
    stream.push("<think>Counting ships: one, two");
    expect(stream.state()).toMatchObject({ status: "thinking", think: "Counting ships: one, two" });
    expect(stream.end(true)).toMatchObject({ status: "done", stopped: true });
  });

  it("keeps reasoning stopped before any answer tag as reasoning, with no answer; an open answer block stays the answer", () => {
    const stopped = new AnswerStream();
    stopped.push("The image shows fields and a road");
    expect(stopped.end(true)).toMatchObject({ think: "The image shows fields and a road", answer: "", stopped: true });
    const finished = new AnswerStream();
    finished.push("The image shows fields and a road");
    expect(finished.end()).toMatchObject({ think: "", answer: "The image shows fields and a road" });
    const openAnswer = new AnswerStream();
    openAnswer.push("Fields. <answer>farm");
    expect(openAnswer.end(true)).toMatchObject({ think: "Fields.", answer: "farm", stopped: true });
  });
});
