namespace GanDsl;

/// <summary>
/// A loss's objective as mathematics, written by the source generator from the same IR it emits the step code from:
/// each player's loss, the named terms and penalty points it uses, state updates, monitors and hyperparameters (as
/// symbols, with their defaults).
/// </summary>
/// <param name="Text">Unicode text that is also Markdown (equations as indented lines).</param>
/// <param name="Latex">A LaTeX fragment (<c>\paragraph</c> headings and <c>align*</c> blocks; needs amsmath and amssymb).</param>
public sealed record LossFormula(string Text, string Latex);
