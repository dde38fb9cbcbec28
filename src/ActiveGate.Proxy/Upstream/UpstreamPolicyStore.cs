using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.OneM2m.Upstream;

namespace ActiveGate.Proxy.Upstream;

/// <summary>
/// The policies written at runtime (LwM2M or the CLI), one per service instance, persisted atomically (write a
/// temporary file, fsync, rename, fsync the directory) so a power cut leaves the old file or the new one. They win
/// over the configuration after a restart until <see cref="Remove"/> (<c>activegate upstream reset</c>). A policy
/// written during a swap is the one resumed at start: the swap's eager cursor persistence makes that safe.
/// </summary>
public sealed class UpstreamPolicyStore
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };
    private readonly string _path;
    private readonly Lock _gate = new();

    public UpstreamPolicyStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
    }

    public string Path => _path;

    /// <summary>
    /// Reads the stored policies by instance ID; an unreadable file is reported through <paramref name="problem"/> and
    /// treated as empty (the configuration applies), never fatal.
    /// </summary>
    public IReadOnlyDictionary<int, UpstreamPolicy> Load(out string? problem)
    {
        problem = null;
        var result = new Dictionary<int, UpstreamPolicy>();
        lock (_gate)
        {
            if (!File.Exists(_path))
            {
                return result;
            }

            try
            {
                JsonNode? root = JsonNode.Parse(File.ReadAllBytes(_path));
                foreach (JsonNode? service in root?["services"]?.AsArray() ?? [])
                {
                    int id = service!["id"]!.GetValue<int>();
                    string name = service["name"]!.GetValue<string>();
                    var source = Enum.Parse<PolicySource>(service["source"]!.GetValue<string>());
                    UpstreamEndpoint? endpoint = service["endpoint"] is JsonObject e
                        ? new UpstreamEndpoint(new Uri(e["url"]!.GetValue<string>()), e["cseId"]!.GetValue<string>(), e["cseName"]!.GetValue<string>(),
                            e["origin"]!.GetValue<string>(), e["rvi"]?.GetValue<string>() ?? "3")
                        : null;
                    var policy = new UpstreamPolicy(name, endpoint, source);
                    if (policy.Validate() is { } invalid)
                    {
                        throw new FormatException($"service {id}: {invalid}");
                    }

                    result[id] = policy;
                }
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException
                or NullReferenceException or UriFormatException or IOException or UnauthorizedAccessException)
            {
                problem = $"{_path} is unreadable ({ex.Message}); the configuration's upstream applies";
                result.Clear();
            }
        }

        return result;
    }

    /// <summary>Stores <paramref name="policy"/> for instance <paramref name="id"/> (the others are kept).</summary>
    public void Save(int id, UpstreamPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        lock (_gate)
        {
            Dictionary<int, UpstreamPolicy> all = new(Load(out _)) { [id] = policy };
            Write(all);
        }
    }

    /// <summary>Forgets instance <paramref name="id"/> (null: all); the configuration applies again to what is forgotten.</summary>
    public void Remove(int? id)
    {
        lock (_gate)
        {
            Dictionary<int, UpstreamPolicy> all = new(Load(out _));
            if (id is { } one)
            {
                all.Remove(one);
            }
            else
            {
                all.Clear();
            }

            Write(all);
        }
    }

    private void Write(Dictionary<int, UpstreamPolicy> all)
    {
        var services = new JsonArray();
        foreach ((int id, UpstreamPolicy p) in all.OrderBy(kv => kv.Key))
        {
            services.Add(new JsonObject
            {
                ["id"] = id,
                ["name"] = p.ServiceName,
                ["source"] = p.Source.ToString(),
                ["endpoint"] = p.Endpoint is { } e
                    ? new JsonObject
                    {
                        ["url"] = e.BaseUrl.ToString(),
                        ["cseId"] = e.CseId,
                        ["cseName"] = e.CseBaseName,
                        ["origin"] = e.Origin,
                        ["rvi"] = e.ReleaseVersion,
                    }
                    : null,
            });
        }

        var root = new JsonObject
        {
            ["version"] = 1,
            ["written"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["services"] = services,
        };
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path))!;
        Directory.CreateDirectory(directory);
        string temporary = _path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(JsonSerializer.SerializeToUtf8Bytes(root, s_indented));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
        Outbox.DirectorySync.TryFlush(directory);
    }
}
