import { describe, expect, it } from "vitest";
import { expandUrlTemplate, validateUrlTemplate } from "./url-template";

describe("validateUrlTemplate", () => {
  it("accepts XYZ and TMS templates over http(s)", () => {
    expect(validateUrlTemplate(" https://tiles.example.com/{z}/{x}/{y}.jpg ")).toEqual({
      valid: true,
      template: "https://tiles.example.com/{z}/{x}/{y}.jpg",
    });
    expect(validateUrlTemplate("http://127.0.0.1:8080/tms/{z}/{x}/{-y}.png").valid).toBe(true);
  });

  it("names what is missing or wrong", () => {
    const missing = validateUrlTemplate("https://tiles.example.com/{z}/{x}.png");
    expect(missing).toMatchObject({ valid: false, reason: expect.stringMatching(/lacks \{y\}/) });
    expect(validateUrlTemplate("ftp://x/{z}/{x}/{y}")).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/Only http\(s\)/),
    });
    expect(validateUrlTemplate("javascript:alert(1)//{z}/{x}/{y}")).toMatchObject({ valid: false });
    expect(validateUrlTemplate("not a url {z}{x}{y}")).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/not a URL/),
    });
    expect(validateUrlTemplate("")).toMatchObject({ valid: false });
  });

  it("expands XYZ rows and TMS rows counted from the south", () => {
    expect(expandUrlTemplate("https://t/{z}/{x}/{y}", 3, 5, 1)).toBe("https://t/3/5/1");
    expect(expandUrlTemplate("https://t/{z}/{x}/{-y}", 3, 5, 1)).toBe("https://t/3/5/6");
  });
});
