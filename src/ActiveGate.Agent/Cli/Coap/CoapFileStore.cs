using System.Security.Cryptography;
using ActiveGate.Coap.Messages;

namespace ActiveGate.Agent.Cli.Coap;

/// <summary>
/// The files of one directory as CoAP resources, confined to that directory: a request path is a
/// list of Uri-Path segments, each checked on its own (no "", ".", "..", dot-files, separators or
/// NULs), joined under the root, and every existing component that is a symbolic link must resolve
/// inside the root too. Anything else is refused with 4.03 Forbidden.
/// </summary>
internal sealed class CoapFileStore
{
    /// <summary>Files larger than this are not served (the whole body is held in memory per block request).</summary>
    public const long MaxFileSize = 16 * 1024 * 1024;

    private readonly string _root;

    public CoapFileStore(string directory)
    {
        var info = new DirectoryInfo(Path.GetFullPath(directory));
        if (!info.Exists)
        {
            throw new DirectoryNotFoundException($"Directory '{info.FullName}' does not exist.");
        }

        // Work on the real root so that symlink targets can be compared with it.
        _root = info.LinkTarget is not null ? info.ResolveLinkTarget(returnFinalTarget: true)!.FullName : info.FullName;
        _root = Path.TrimEndingDirectorySeparator(_root);
    }

    public string Root => _root;

    public CoapResponse Get(IReadOnlyList<string> segments)
    {
        if (!TryResolve(segments, out string? path))
        {
            return new CoapResponse(CoapCode.Forbidden);
        }

        if (Directory.Exists(path))
        {
            return new CoapResponse(CoapCode.Content, System.Text.Encoding.UTF8.GetBytes(ListDirectory(path)), CoapContentFormat.LinkFormat);
        }

        var file = new FileInfo(path);
        if (!file.Exists)
        {
            return new CoapResponse(CoapCode.NotFound);
        }

        if (file.Length > MaxFileSize)
        {
            return CoapResponse.FromText(CoapCode.RequestEntityTooLarge, $"The file exceeds {MaxFileSize} bytes.");
        }

        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e is UnauthorizedAccessException ? new CoapResponse(CoapCode.Forbidden) : new CoapResponse(CoapCode.InternalServerError);
        }

        var response = new CoapResponse(CoapCode.Content, content, ContentFormatOf(path))
        {
            // Changes between the blocks of one Block2 transfer show up as a new ETag (RFC 7959 §2.4).
            ETag = EntityTag(content),
        };
        return response;
    }

    /// <summary>PUT and POST: writes the whole body atomically (temporary file, then rename).</summary>
    public CoapResponse Write(IReadOnlyList<string> segments, ReadOnlySpan<byte> body)
    {
        if (segments.Count == 0 || !TryResolve(segments, out string? path))
        {
            return new CoapResponse(CoapCode.Forbidden);
        }

        if (Directory.Exists(path))
        {
            return new CoapResponse(CoapCode.MethodNotAllowed);
        }

        bool existed = File.Exists(path);
        string? temporary = null;
        try
        {
            string directory = Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(directory);
            // The directories just created must still be inside the root (a racing symlink swap would show here).
            if (!TryResolve(segments, out string? recheck) || recheck != path)
            {
                return new CoapResponse(CoapCode.Forbidden);
            }

            temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(body);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            temporary = null;
        }
        catch (UnauthorizedAccessException)
        {
            return new CoapResponse(CoapCode.Forbidden);
        }
        catch (IOException)
        {
            return new CoapResponse(CoapCode.InternalServerError);
        }
        finally
        {
            if (temporary is not null)
            {
                File.Delete(temporary);
            }
        }

        return new CoapResponse(existed ? CoapCode.Changed : CoapCode.Created);
    }

    public CoapResponse Delete(IReadOnlyList<string> segments)
    {
        if (segments.Count == 0 || !TryResolve(segments, out string? path))
        {
            return new CoapResponse(CoapCode.Forbidden);
        }

        if (Directory.Exists(path))
        {
            return new CoapResponse(CoapCode.MethodNotAllowed);
        }

        if (!File.Exists(path))
        {
            return new CoapResponse(CoapCode.NotFound);
        }

        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new CoapResponse(e is UnauthorizedAccessException ? CoapCode.Forbidden : CoapCode.InternalServerError);
        }

        return new CoapResponse(CoapCode.Deleted);
    }

    /// <summary>Relative paths ("a/b.txt") of the regular files that may be served, for discovery.</summary>
    public IReadOnlyList<string[]> ListFiles(int maxFiles = 10_000)
    {
        var files = new List<string[]>();
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            MaxRecursionDepth = 8,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.ReparsePoint,
        };
        foreach (string file in Directory.EnumerateFiles(_root, "*", options))
        {
            string[] segments = Path.GetRelativePath(_root, file).Split(Path.DirectorySeparatorChar);
            if (segments.All(IsAcceptableSegment) && TryResolve(segments, out _))
            {
                files.Add(segments);
                if (files.Count >= maxFiles)
                {
                    break;
                }
            }
        }

        return files;
    }

    /// <summary>Maps Uri-Path segments to a path inside the root, or refuses.</summary>
    public bool TryResolve(IReadOnlyList<string> segments, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? path)
    {
        path = null;
        string current = _root;
        foreach (string segment in segments)
        {
            if (!IsAcceptableSegment(segment))
            {
                return false;
            }

            current = Path.Combine(current, segment);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.LinkTarget is not null)
            {
                // A link may point anywhere; follow it completely and insist on staying inside.
                FileSystemInfo? target;
                try
                {
                    target = info.ResolveLinkTarget(returnFinalTarget: true);
                }
                catch (IOException)
                {
                    return false;
                }

                if (target is null || !IsInsideRoot(target.FullName))
                {
                    return false;
                }

                current = target.FullName;
            }
        }

        string full = Path.GetFullPath(current);
        if (!IsInsideRoot(full))
        {
            return false;
        }

        path = full;
        return true;
    }

    public static int ContentFormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".txt" or ".text" or ".log" or ".csv" or ".md" => CoapContentFormat.TextPlain,
        ".json" => CoapContentFormat.Json,
        ".xml" => CoapContentFormat.Xml,
        ".cbor" => CoapContentFormat.Cbor,
        ".wlnk" or ".link" => CoapContentFormat.LinkFormat,
        _ => CoapContentFormat.OctetStream,
    };

    private static bool IsAcceptableSegment(string segment) =>
        segment.Length is > 0 and <= 255
        && segment[0] != '.' // ".", "..", and dot-files (.ssh, .env, our temporary files) are never served
        && segment.IndexOfAny(['/', '\\', '\0']) < 0;

    private bool IsInsideRoot(string fullPath) =>
        fullPath.Length > _root.Length
            ? fullPath.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            : string.Equals(fullPath, _root, StringComparison.Ordinal);

    private string ListDirectory(string directory)
    {
        var links = new List<string>();
        foreach (string file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if (IsAcceptableSegment(name))
            {
                string relative = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
                links.Add($"</{relative}>;ct={ContentFormatOf(file)}");
            }
        }

        return string.Join(',', links);
    }

    private static byte[] EntityTag(ReadOnlySpan<byte> content) => SHA256.HashData(content)[..8];
}
