namespace GanDsl.Formats;

/// <summary>
/// A data file is missing, truncated or malformed. The message names the file, says what is wrong and,
/// where there is one, what to do about it.
/// </summary>
public sealed class DataFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    public DataFileException(string filePath, string message, Exception? inner = null)
        : base(message, inner)
    {
        FilePath = filePath;
    }

    /// <summary>The file the problem is about.</summary>
    public string FilePath { get; }
}
