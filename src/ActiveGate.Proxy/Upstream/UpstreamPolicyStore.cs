using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ActiveGate.OneM2m.Upstream;

namespace ActiveGate.Proxy.Upstream;

/// <summary>A stored policy, and while its swap is pending the one still in force (null once switched).</summary>
public sealed record StoredPolicy(UpstreamPolicy Policy, UpstreamPolicy? InForce);

/// <summary>
/// The policies written at runtime (LwM2M or the CLI), one per service instance, persisted atomically (write a
/// temporary file, fsync, rename, fsync the directory) so a power cut leaves the old file or the new one. They win
/// over the configuration after a restart until <see cref="Remove"/> (<c>activegate upstream reset</c>). While a swap is
/// pending the policy still in force is kept beside it: an agent killed then starts on that one and swaps again, so a
/// batch that was in flight to it when it died is re-sent to it (where its names make it a no-op), not to the new one.
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
    public IReadOnlyDictionary<int, StoredPolicy> Load(out string? problem)
    {
        problem = null;
        var result = new Dictionary<int, StoredPolicy>();
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
                    UpstreamPolicy policy = ReadPolicy(id, service);
                    UpstreamPolicy? inForce = service["inForce"] is JsonObject previous ? ReadPolicy(id, previous) : null;
                    result[id] = new StoredPolicy(policy, inForce);
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

    private static UpstreamPolicy ReadPolicy(int id, JsonNode node)
    {
        string name = node["name"]!.GetValue<string>();
        var source = Enum.Parse<PolicySource>(node["source"]!.GetValue<string>());
        UpstreamEndpoint? endpoint = node["endpoint"] is JsonObject e
            ? new UpstreamEndpoint(new Uri(e["url"]!.GetValue<string>()), e["cseId"]!.GetValue<string>(), e["cseName"]!.GetValue<string>(),
                e["origin"]!.GetValue<string>(), e["rvi"]?.GetValue<string>() ?? "3")
            : null;
        var policy = new UpstreamPolicy(name, endpoint, source);
        return policy.Validate() is { } invalid ? throw new FormatException($"service {id}: {invalid}") : policy;
    }

    /// <summary>
    /// Stores <paramref name="policy"/> for instance <paramref name="id"/> (the others are kept), with the policy still
    /// in force while its swap is pending (null once switched).
    /// </summary>
    public void Save(int id, UpstreamPolicy policy, UpstreamPolicy? inForce = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        lock (_gate)
        {
            Dictionary<int, StoredPolicy> all = new(Load(out _)) { [id] = new StoredPolicy(policy, inForce) };
            Write(all);
        }
    }

    /// <summary>Forgets instance <paramref name="id"/> (null: all); the configuration applies again to what is forgotten.</summary>
    public void Remove(int? id)
    {
        lock (_gate)
        {
            Dictionary<int, StoredPolicy> all = new(Load(out _));
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

    private static JsonObject WritePolicy(UpstreamPolicy p) => new()
    {
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
    };

    private void Write(Dictionary<int, StoredPolicy> all)
    {
        var services = new JsonArray();
        foreach ((int id, StoredPolicy stored) in all.OrderBy(kv => kv.Key))
        {
            JsonObject service = WritePolicy(stored.Policy);
            service.Insert(0, "id", id);
            if (stored.InForce is { } inForce)
            {
                service["inForce"] = WritePolicy(inForce);
            }

            services.Add(service);
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
