namespace GanDsl.Cli;

/// <summary>A bad command line; the message is one line and is printed with the usage hint.</summary>
public sealed class UsageException(string message) : Exception(message);
