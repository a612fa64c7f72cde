// Marks unused, unsatisfiable symbol-version needs of a shared library as weak (VER_FLG_WEAK), so
// that the dynamic loader accepts the library on a system whose libstdc++ lacks that version.
//
// Why: TorchSharp's libLibTorchSharp.so is built with GCC 13, whose <iostream> emits a bare
// `.globl _ZSt21ios_base_library_initv` to pin GCC 13's libstdc++ (GLIBCXX_3.4.32). No relocation
// uses the symbol, but the version need alone makes Debian 12 / Ubuntu 22.04 (GCC 12's libstdc++,
// up to GLIBCXX_3.4.30) refuse the library: "version `GLIBCXX_3.4.32' not found". A weak version
// need is only reported, not enforced, by glibc's loader. The patch is refused (an error naming
// the symbol) when any dynamic relocation references a symbol bound to that version, because such
// a symbol really would be missing at run time.
//
// One file, two uses: build/TorchSharp.Loading.targets compiles it as an inline task
// (RoslynCodeTaskFactory, Code Type="Class"), and tests/GanDsl.Build.Tests compiles it as a linked
// file with ELF_VERSION_PATCH_NO_MSBUILD defined (the pure logic only). Written against
// netstandard2.0 (what the inline task factory compiles against): no Span, no newer File APIs.
#nullable enable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;

namespace GanDsl.Build
{
    /// <summary>A problem with the file being patched that must fail the build.</summary>
    public sealed class ElfPatchException : Exception
    {
        public ElfPatchException(string message) : base(message) { }
    }

    /// <summary>One needed version (Vernaux entry) of .gnu.version_r.</summary>
    public sealed class ElfVersionNeed
    {
        public string File = "";          // vn_file, e.g. libstdc++.so.6
        public string Version = "";       // vna_name, e.g. GLIBCXX_3.4.32
        public ushort Flags;              // vna_flags
        public ushort Index;              // vna_other: the .gnu.version index symbols use
        public long FlagsOffset;          // file offset of vna_flags
        public bool IsWeak => (Flags & ElfVersionPatch.VerFlgWeak) != 0;
        public override string ToString() => File + ":" + Version + " (index " + Index + ", flags " + Flags + ")";
    }

    /// <summary>What <see cref="ElfVersionPatch.Plan"/> decided for one file.</summary>
    public sealed class ElfPatchPlan
    {
        /// <summary>Needs of the library that the provider lacks and that are not weak yet: to be made weak.</summary>
        public List<ElfVersionNeed> ToWeaken = new List<ElfVersionNeed>();
        /// <summary>Needs the provider lacks that are already weak (a second run: nothing to do).</summary>
        public List<ElfVersionNeed> AlreadyWeak = new List<ElfVersionNeed>();
        /// <summary>Every need on the provider's file, for messages.</summary>
        public List<ElfVersionNeed> AllNeeds = new List<ElfVersionNeed>();
    }

    public static class ElfVersionPatch
    {
        public const ushort VerFlgWeak = 2;
        const uint ShtRela = 4, ShtRel = 9, ShtDynsym = 11;
        const uint ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
        public const ushort EmX86_64 = 62, EmAarch64 = 183;

        // ---------------------------------------------------------------- ELF reading

        sealed class Section
        {
            public uint Type; public long Offset; public long Size; public uint Link; public long EntSize;
        }

        sealed class Elf
        {
            public byte[] Data = Array.Empty<byte>();
            public ushort Machine;
            public List<Section> Sections = new List<Section>();

            public ushort U16(long o) { Check(o, 2); return (ushort)(Data[o] | Data[o + 1] << 8); }
            public uint U32(long o) { Check(o, 4); return (uint)(Data[o] | Data[o + 1] << 8 | Data[o + 2] << 16 | Data[o + 3] << 24); }
            public ulong U64(long o) => U32(o) | (ulong)U32(o + 4) << 32;
            void Check(long o, int n)
            {
                if (o < 0 || o + n > Data.Length) throw new ElfPatchException("truncated or malformed ELF file (offset " + o + " beyond " + Data.Length + " bytes)");
            }

            public string Str(Section strtab, uint index)
            {
                long start = strtab.Offset + index;
                if (index >= strtab.Size || start >= Data.Length) throw new ElfPatchException("malformed ELF file (string index " + index + " out of range)");
                long end = start;
                while (end < Data.Length && Data[end] != 0) end++;
                return Encoding.UTF8.GetString(Data, (int)start, (int)(end - start));
            }

            public Section? OfType(uint type) => Sections.FirstOrDefault(s => s.Type == type);
            public Section LinkOf(Section s)
            {
                if (s.Link >= Sections.Count) throw new ElfPatchException("malformed ELF file (section link " + s.Link + " out of range)");
                return Sections[(int)s.Link];
            }
        }

        /// <summary>Whether the bytes start like an ELF64 little-endian file (the only kind handled).</summary>
        public static bool IsElf64LittleEndian(byte[] data) =>
            data.Length >= 64 && data[0] == 0x7f && data[1] == (byte)'E' && data[2] == (byte)'L' && data[3] == (byte)'F'
            && data[4] == 2 /* ELFCLASS64 */ && data[5] == 1 /* ELFDATA2LSB */;

        static Elf Parse(byte[] data)
        {
            if (!IsElf64LittleEndian(data)) throw new ElfPatchException("not an ELF64 little-endian file");
            var elf = new Elf { Data = data };
            elf.Machine = elf.U16(0x12);
            long shoff = (long)elf.U64(0x28);
            int shentsize = elf.U16(0x3A);
            long shnum = elf.U16(0x3C);
            if (shoff == 0) return elf; // no section headers (stripped of them): nothing we can read
            if (shentsize < 64) throw new ElfPatchException("malformed ELF file (e_shentsize " + shentsize + ")");
            if (shnum == 0) shnum = (long)elf.U64(shoff + 0x20); // extended numbering: sh_size of section 0
            for (long i = 0; i < shnum; i++)
            {
                long h = shoff + i * shentsize;
                elf.Sections.Add(new Section
                {
                    Type = elf.U32(h + 4),
                    Offset = (long)elf.U64(h + 0x18),
                    Size = (long)elf.U64(h + 0x20),
                    Link = elf.U32(h + 0x28),
                    EntSize = (long)elf.U64(h + 0x38),
                });
            }
            return elf;
        }

        /// <summary>e_machine of an ELF64 LE file, or null if it is not one.</summary>
        public static ushort? Machine(byte[] data) => IsElf64LittleEndian(data) ? (ushort?)(ushort)(data[0x12] | data[0x13] << 8) : null;

        /// <summary>Version names a library defines (.gnu.version_d), e.g. GLIBCXX_3.4.30 for GCC 12's libstdc++.</summary>
        public static HashSet<string> DefinedVersions(byte[] library)
        {
            var elf = Parse(library);
            var result = new HashSet<string>(StringComparer.Ordinal);
            var verdef = elf.OfType(ShtGnuVerdef);
            if (verdef == null) return result;
            var strtab = elf.LinkOf(verdef);
            long p = verdef.Offset;
            for (int guard = 0; guard < 100000; guard++)
            {
                ushort cnt = elf.U16(p + 6);
                uint aux = elf.U32(p + 12), next = elf.U32(p + 16);
                if (cnt > 0) result.Add(elf.Str(strtab, elf.U32(p + aux))); // first Verdaux: the version's own name
                if (next == 0) break;
                p += next;
            }
            return result;
        }

        /// <summary>Every needed version (.gnu.version_r) of the library.</summary>
        public static List<ElfVersionNeed> VersionNeeds(byte[] library) => VersionNeeds(Parse(library));

        static List<ElfVersionNeed> VersionNeeds(Elf elf)
        {
            var result = new List<ElfVersionNeed>();
            var verneed = elf.OfType(ShtGnuVerneed);
            if (verneed == null) return result;
            var strtab = elf.LinkOf(verneed);
            long p = verneed.Offset;
            for (int guard = 0; guard < 100000; guard++)
            {
                ushort cnt = elf.U16(p + 2);
                string file = elf.Str(strtab, elf.U32(p + 4));
                uint aux = elf.U32(p + 8), next = elf.U32(p + 12);
                long a = p + aux;
                for (int i = 0; i < cnt; i++)
                {
                    result.Add(new ElfVersionNeed
                    {
                        File = file,
                        Flags = elf.U16(a + 4),
                        Index = elf.U16(a + 6),
                        Version = elf.Str(strtab, elf.U32(a + 8)),
                        FlagsOffset = a + 4,
                    });
                    uint anext = elf.U32(a + 12);
                    if (anext == 0) break;
                    a += anext;
                }
                if (next == 0) break;
                p += next;
            }
            return result;
        }

        /// <summary>
        /// Names of the dynamic symbols bound to version index <paramref name="versionIndex"/> (.gnu.version)
        /// that some dynamic relocation (.rela.dyn, .rela.plt, any REL/RELA section on .dynsym) references.
        /// </summary>
        public static List<string> RelocatedSymbolsOfVersion(byte[] library, ushort versionIndex) => RelocatedSymbolsOfVersion(Parse(library), versionIndex);

        static List<string> RelocatedSymbolsOfVersion(Elf elf, ushort versionIndex)
        {
            var names = new List<string>();
            var versym = elf.OfType(ShtGnuVersym);
            if (versym == null) return names;
            int dynsymIndex = (int)versym.Link;
            if (dynsymIndex >= elf.Sections.Count || elf.Sections[dynsymIndex].Type != ShtDynsym)
                dynsymIndex = elf.Sections.FindIndex(s => s.Type == ShtDynsym);
            if (dynsymIndex < 0) return names;
            var dynsym = elf.Sections[dynsymIndex];
            var dynstr = elf.LinkOf(dynsym);
            long symCount = dynsym.Size / 24;
            var seen = new HashSet<ulong>();
            for (int s = 0; s < elf.Sections.Count; s++)
            {
                var rel = elf.Sections[s];
                if ((rel.Type != ShtRela && rel.Type != ShtRel) || rel.Link != dynsymIndex) continue;
                long entSize = rel.EntSize != 0 ? rel.EntSize : (rel.Type == ShtRela ? 24 : 16);
                for (long o = rel.Offset; o + entSize <= rel.Offset + rel.Size; o += entSize)
                {
                    ulong sym = elf.U64(o + 8) >> 32;
                    if (sym == 0 || sym >= (ulong)symCount || !seen.Add(sym)) continue;
                    if ((elf.U16(versym.Offset + (long)sym * 2) & 0x7fff) != versionIndex) continue;
                    names.Add(elf.Str(dynstr, elf.U32(dynsym.Offset + (long)sym * 24)));
                }
            }
            return names;
        }

        // ---------------------------------------------------------------- deciding and patching

        /// <summary>
        /// Decides which needs of <paramref name="library"/> on <paramref name="providerFile"/> (e.g. libstdc++.so.6)
        /// to make weak: those whose version <paramref name="providedVersions"/> lacks. Throws
        /// <see cref="ElfPatchException"/> naming the symbol and version when a relocation uses such a version.
        /// </summary>
        public static ElfPatchPlan Plan(byte[] library, string providerFile, ICollection<string> providedVersions)
        {
            var elf = Parse(library);
            var plan = new ElfPatchPlan();
            foreach (var need in VersionNeeds(elf))
            {
                if (need.File != providerFile) continue;
                plan.AllNeeds.Add(need);
                if (providedVersions.Contains(need.Version)) continue;
                if (need.IsWeak) { plan.AlreadyWeak.Add(need); continue; }
                var used = RelocatedSymbolsOfVersion(elf, need.Index);
                if (used.Count > 0)
                    throw new ElfPatchException(
                        "needs " + need.Version + " of " + providerFile + ", which the system's " + providerFile + " does not define, and really uses it: "
                        + "dynamic relocations reference " + string.Join(", ", used.Select(u => u + "@" + need.Version)) + ". "
                        + "Making that version need weak would leave the symbol unresolved, so the file is left as it is; "
                        + "install a libstdc++ that defines " + need.Version + " (GCC 13 or newer) or use a build of the library made with an older GCC.");
                plan.ToWeaken.Add(need);
            }
            return plan;
        }

        /// <summary>Sets VER_FLG_WEAK on the given needs, in place. Returns the changed byte offsets.</summary>
        public static List<long> Apply(byte[] library, IEnumerable<ElfVersionNeed> needs)
        {
            var changed = new List<long>();
            foreach (var need in needs)
            {
                if ((library[need.FlagsOffset] & VerFlgWeak) != 0) continue;
                library[need.FlagsOffset] |= (byte)VerFlgWeak; // vna_flags is little-endian: the weak bit is in its low byte
                changed.Add(need.FlagsOffset);
            }
            return changed;
        }

        /// <summary>The result of <see cref="PatchFile"/>.</summary>
        public sealed class FileResult
        {
            public ElfPatchPlan Plan = new ElfPatchPlan();
            public bool Written;
        }

        /// <summary>
        /// Patches <paramref name="path"/>: writes the patched bytes to a temporary file in the same folder,
        /// gives it the original's last-write time (so MSBuild's incremental copy sees the copy as up to date and
        /// does not re-copy the unpatched original over it) and renames it over <paramref name="path"/>. The rename
        /// replaces the directory entry, so a hard link into the NuGet cache is broken, never written through.
        /// Does nothing when nothing needs to change.
        /// </summary>
        public static FileResult PatchFile(string path, string providerFile, ICollection<string> providedVersions)
        {
            var data = File.ReadAllBytes(path);
            var result = new FileResult { Plan = Plan(data, providerFile, providedVersions) };
            if (result.Plan.ToWeaken.Count == 0) return result;
            Apply(data, result.Plan.ToWeaken);

            var full = Path.GetFullPath(path);
            var temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
            var lastWrite = File.GetLastWriteTimeUtc(full);
            try
            {
                // File.Copy keeps the permission bits (the library must stay executable/readable as before).
                File.Copy(full, temp, true);
                using (var stream = new FileStream(temp, FileMode.Open, FileAccess.Write, FileShare.None))
                {
                    foreach (var need in result.Plan.ToWeaken)
                    {
                        stream.Position = need.FlagsOffset;
                        stream.WriteByte(data[need.FlagsOffset]);
                    }
                    stream.Flush(true);
                }
                File.SetLastWriteTimeUtc(temp, lastWrite);
                File.Replace(temp, full, null); // rename(2) on Unix
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            result.Written = true;
            return result;
        }

        // ---------------------------------------------------------------- finding the system library

        /// <summary>
        /// The system library the dynamic loader would use for <paramref name="soname"/> for a process of the
        /// given machine: ld.so's cache (ldconfig -p) first, then the default directories. Null when none.
        /// </summary>
        public static string? FindSystemLibrary(string soname, ushort machine, Action<string>? log = null)
        {
            var candidates = new List<string>();
            foreach (var ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig", "/bin/ldconfig", "/usr/bin/ldconfig" })
            {
                if (!File.Exists(ldconfig)) continue;
                try
                {
                    var psi = new ProcessStartInfo(ldconfig, "-p") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                    using (var process = Process.Start(psi)!)
                    {
                        string output = process.StandardOutput.ReadToEnd();
                        process.WaitForExit(10000);
                        foreach (var line in output.Split('\n'))
                        {
                            // "\tlibstdc++.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libstdc++.so.6"
                            var t = line.Trim();
                            if (!t.StartsWith(soname + " ", StringComparison.Ordinal)) continue;
                            int arrow = t.IndexOf("=> ", StringComparison.Ordinal);
                            if (arrow > 0) candidates.Add(t.Substring(arrow + 3).Trim());
                        }
                    }
                }
                catch (Exception e) { log?.Invoke("ldconfig -p failed (" + e.Message + "); trying the default directories"); }
                break;
            }
            string triplet = machine == EmAarch64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
            candidates.AddRange(new[] { "/lib/" + triplet, "/usr/lib/" + triplet, "/lib64", "/usr/lib64", "/lib", "/usr/lib" }.Select(d => d + "/" + soname));
            foreach (var candidate in candidates)
            {
                try
                {
                    if (!File.Exists(candidate)) continue;
                    var head = new byte[64];
                    using (var f = File.OpenRead(candidate)) { if (f.Read(head, 0, 64) < 64) continue; }
                    if (Machine(head) == machine) return candidate;
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
            return null;
        }
    }

#if !ELF_VERSION_PATCH_NO_MSBUILD
    /// <summary>
    /// MSBuild task: for each file in <see cref="Files"/> that exists, weakens its needs on <see cref="Provider"/>
    /// (libstdc++.so.6) that the system's copy of that library does not define. See the top of this file.
    /// </summary>
    public class GanDslWeakenElfVersionNeeds : Microsoft.Build.Utilities.Task
    {
        /// <summary>The copies to patch (in output or publish folders); missing ones are skipped.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>The needed library whose versions are checked. Default libstdc++.so.6.</summary>
        public string Provider { get; set; } = "libstdc++.so.6";

        /// <summary>Path of the system's copy of <see cref="Provider"/>; empty: found as the loader would.</summary>
        public string ProviderPath { get; set; } = "";

        /// <summary>The files that were changed.</summary>
        [Microsoft.Build.Framework.Output]
        public Microsoft.Build.Framework.ITaskItem[] Patched { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        const Microsoft.Build.Framework.MessageImportance Low = Microsoft.Build.Framework.MessageImportance.Low;

        public override bool Execute()
        {
            var files = Files.Select(f => f.GetMetadata("FullPath")).Distinct(StringComparer.Ordinal).Where(File.Exists).ToList();
            if (files.Count == 0) return true;
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                Log.LogMessage(Low, "ElfVersionPatch: not building on Linux; " + string.Join(", ", files) + " left as is.");
                return true;
            }

            var providedByMachine = new Dictionary<ushort, HashSet<string>?>();
            var patched = new List<Microsoft.Build.Framework.ITaskItem>();
            foreach (var file in files)
            {
                try
                {
                    var head = new byte[64];
                    using (var f = File.OpenRead(file)) { if (f.Read(head, 0, 64) < 64) head = new byte[0]; }
                    var machine = ElfVersionPatch.Machine(head);
                    if (machine == null)
                    {
                        Log.LogMessage(Low, "ElfVersionPatch: " + file + " is not an ELF64 little-endian file; left as is.");
                        continue;
                    }
                    if (!providedByMachine.TryGetValue(machine.Value, out var provided))
                    {
                        var providerPath = ProviderPath;
                        if (string.IsNullOrEmpty(providerPath)) providerPath = ElfVersionPatch.FindSystemLibrary(Provider, machine.Value, m => Log.LogMessage(Low, "ElfVersionPatch: " + m)) ?? "";
                        if (providerPath.Length == 0 || !File.Exists(providerPath))
                        {
                            provided = null;
                            Log.LogMessage(Low, "ElfVersionPatch: no system " + Provider + " for ELF machine " + machine + " found; nothing to check.");
                        }
                        else
                        {
                            provided = ElfVersionPatch.DefinedVersions(File.ReadAllBytes(providerPath));
                            Log.LogMessage(Low, "ElfVersionPatch: system " + Provider + " is " + providerPath + " (" + provided.Count + " versions defined).");
                        }
                        providedByMachine[machine.Value] = provided;
                    }
                    if (provided == null) continue;

                    var result = ElfVersionPatch.PatchFile(file, Provider, provided);
                    if (result.Written)
                    {
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                            "ElfVersionPatch: " + file + ": made weak the need" + (result.Plan.ToWeaken.Count > 1 ? "s" : "") + " on "
                            + string.Join(", ", result.Plan.ToWeaken.Select(n => n.Version)) + " of " + Provider
                            + ", which the system's " + Provider + " does not define and no relocation uses.");
                        patched.Add(new Microsoft.Build.Utilities.TaskItem(file));
                    }
                    else if (result.Plan.AlreadyWeak.Count > 0)
                        Log.LogMessage(Low, "ElfVersionPatch: " + file + ": already patched (" + string.Join(", ", result.Plan.AlreadyWeak.Select(n => n.Version)) + " weak).");
                    else
                        Log.LogMessage(Low, "ElfVersionPatch: " + file + ": the system's " + Provider + " defines every version it needs; left as is.");
                }
                catch (ElfPatchException e)
                {
                    Log.LogError(null, "GANBUILD001", null, file, 0, 0, 0, 0, "ElfVersionPatch: " + file + " " + e.Message);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    Log.LogError(null, "GANBUILD002", null, file, 0, 0, 0, 0, "ElfVersionPatch: could not patch " + file + ": " + e.Message);
                }
            }
            Patched = patched.ToArray();
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
