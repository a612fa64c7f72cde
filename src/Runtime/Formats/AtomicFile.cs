using System.Runtime.InteropServices;

namespace GanDsl.Formats;

/// <summary>
/// Writes a file through a temporary sibling and a rename, so readers (and a crash) only ever see the old
/// file or the complete new one, never a half-written one.
/// </summary>
internal static class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> on a stream to a temporary file in the target's directory, flushes it to
    /// disk, then renames it over <paramref name="path"/>. On any exception the temporary file is deleted and
    /// the existing file is left untouched. After the rename the folder is flushed too, so the rename
    /// itself survives a power loss (POSIX; best effort elsewhere).
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    /// <param name="createDirectory">Create the target's folder when it is missing (otherwise a missing folder is an <see cref="IOException"/>).</param>
    public static void Write(string path, Action<Stream> write, bool createDirectory = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (createDirectory) Directory.CreateDirectory(directory);
        // Same directory: the rename stays on one file system, where it is atomic.
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            DirectorySync.Flush(directory);
        }
        catch
        {
            try { File.Delete(temp); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* best effort; the original error matters more */ }
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }
}

/// <summary>Makes a rename durable: fsync of the folder that holds the renamed file (POSIX only; best effort).</summary>
internal static partial class DirectorySync
{
    internal static void Flush(string folder)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        try
        {
            // A plain read-only open (O_RDONLY = 0) of a folder is allowed, and fsync works on it.
            var fd = Open(folder, 0);
            if (fd < 0) return;
            try
            {
                _ = Fsync(fd);
            }
            finally
            {
                _ = Close(fd);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // The file itself is already flushed and renamed; only the rename's durability is weaker.
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
