using System.Globalization;
using System.Text.Json;
using ActiveGate.Lwm2m.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ActiveGate.Lwm2m.Persistence;

/// <summary>
/// Saves the stored values of every <see cref="Lwm2mObjectEnabler.Persistent"/> object (/0, /1, the
/// policy object) to <c>lwm2m-state.json</c> in the state directory, after each server or bootstrap
/// commit, and restores them at start. Writes are atomic: temp file (mode 0600, it holds keys),
/// fsync, rename over the old file. Values are never logged.
/// </summary>
public sealed class Lwm2mStateStore : IDisposable
{
    public const string FileName = "lwm2m-state.json";
    private const int FormatVersion = 1;

    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Lwm2mDataModel? _attached;

    public Lwm2mStateStore(string directory, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = directory;
        FilePath = Path.Combine(directory, FileName);
        _logger = logger ?? NullLogger.Instance;
    }

    public string FilePath { get; }

    public bool Exists => File.Exists(FilePath);

    /// <summary>Number of successful saves (diagnostics and tests).</summary>
    public int SaveCount { get; private set; }

    /// <summary>Saves after every commit by a server or the bootstrap server that touched a persistent object.</summary>
    public void Attach(Lwm2mDataModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _attached = model;
        model.Changed += OnChanged;
    }

    public void Dispose()
    {
        if (_attached is not null)
        {
            _attached.Changed -= OnChanged;
            _attached = null;
        }
    }

    private void OnChanged(object? sender, Lwm2mChangedEventArgs e)
    {
        if (e.Origin == Lwm2mOrigin.Local || sender is not Lwm2mDataModel model)
        {
            return;
        }

        if (e.Paths.Any(p => p.Length >= 1 && model.GetEnabler(p.ObjectId)?.Persistent == true))
        {
            Save(model);
        }
    }

    /// <summary>Deletes the state file: the next start uses the configuration.</summary>
    public void Delete()
    {
        lock (_gate)
        {
            File.Delete(FilePath);
        }
    }

    /// <summary>Writes every persistent object now.</summary>
    public void Save(Lwm2mDataModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_gate)
        {
            Directory.CreateDirectory(_directory);
            string temp = FilePath + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            {
                using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                {
                    Write(writer, model);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
            SaveCount++;
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug("LwM2M state saved to {Path}", FilePath);
        }
    }

    /// <summary>
    /// Replaces the instances of every persistent object found in the file. Returns false when there is
    /// no file (first start: use factory configuration) or it is unreadable (kept aside as .bad).
    /// </summary>
    public bool TryRestore(Lwm2mDataModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_gate)
        {
            if (!File.Exists(FilePath))
            {
                return false;
            }

            List<(Lwm2mObjectEnabler Enabler, List<(int Id, List<Lwm2mResource> Values)> Instances)> parsed;
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(FilePath), new JsonDocumentOptions { MaxDepth = 16 });
                parsed = Parse(document.RootElement, model);
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException or OverflowException)
            {
                _logger.LogError("LwM2M state file {Path} is unreadable ({Error}); starting from configuration", FilePath, ex.GetType().Name);
                File.Move(FilePath, FilePath + ".bad", overwrite: true);
                return false;
            }

            foreach (var (enabler, instances) in parsed)
            {
                foreach (int id in enabler.InstanceIds)
                {
                    enabler.RemoveInstance(id);
                }

                foreach (var (id, values) in instances)
                {
                    var instance = enabler.AddInstance(id, enabler.CreateInstance(id, Lwm2mOrigin.Bootstrap));
                    foreach (var value in values)
                    {
                        instance.SetResource(value);
                    }
                }
            }

            return true;
        }
    }

    private static void Write(Utf8JsonWriter writer, Lwm2mDataModel model)
    {
        writer.WriteStartObject();
        writer.WriteNumber("version", FormatVersion);
        writer.WriteStartArray("objects");
        foreach (var enabler in model.Objects.Where(o => o.Persistent))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", enabler.ObjectId);
            writer.WriteStartArray("instances");
            foreach (int id in enabler.InstanceIds)
            {
                var instance = enabler.GetInstance(id);
                if (instance is null)
                {
                    continue;
                }

                writer.WriteStartObject();
                writer.WriteNumber("id", id);
                writer.WriteStartArray("resources");
                foreach (var (rid, resource) in instance.StoredValues.OrderBy(kv => kv.Key))
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("id", rid);
                    if (resource.IsMultiple)
                    {
                        writer.WriteStartArray("instances");
                        foreach (var (riid, value) in resource.Instances)
                        {
                            writer.WriteStartObject();
                            writer.WriteNumber("id", riid);
                            WriteValue(writer, value);
                            writer.WriteEndObject();
                        }

                        writer.WriteEndArray();
                    }
                    else
                    {
                        WriteValue(writer, resource.Value);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, Lwm2mValue value)
    {
        writer.WriteString("type", value.Type.ToString());
        switch (value.Type)
        {
            case ResourceType.Opaque:
                writer.WriteBase64String("value", value.AsOpaque().Span);
                break;
            case ResourceType.Float:
                writer.WriteNumber("value", value.AsFloat());
                break;
            case ResourceType.Boolean:
                writer.WriteBoolean("value", value.AsBoolean());
                break;
            default:
                writer.WriteString("value", value.ToString());
                break;
        }
    }

    private static Lwm2mValue ReadValue(JsonElement e)
    {
        var type = Enum.Parse<ResourceType>(e.GetProperty("type").GetString()!);
        var v = e.GetProperty("value");
        var inv = CultureInfo.InvariantCulture;
        return type switch
        {
            ResourceType.Opaque => Lwm2mValue.FromOpaque(v.GetBytesFromBase64()),
            ResourceType.Float => Lwm2mValue.FromFloat(v.GetDouble()),
            ResourceType.Boolean => Lwm2mValue.FromBoolean(v.GetBoolean()),
            ResourceType.Integer => Lwm2mValue.FromInteger(long.Parse(v.GetString()!, inv)),
            ResourceType.UnsignedInteger => Lwm2mValue.FromUnsignedInteger(ulong.Parse(v.GetString()!, inv)),
            ResourceType.Time => Lwm2mValue.FromUnixTime(long.Parse(v.GetString()!, inv)),
            ResourceType.ObjectLink => ObjectLink.TryParse(v.GetString(), out var link) ? Lwm2mValue.FromObjectLink(link) : throw new FormatException("Bad object link."),
            ResourceType.CoreLink => Lwm2mValue.FromCoreLink(v.GetString()!),
            ResourceType.String => Lwm2mValue.FromString(v.GetString()!),
            _ => throw new FormatException("Unsupported type in state file."),
        };
    }

    private static List<(Lwm2mObjectEnabler, List<(int, List<Lwm2mResource>)>)> Parse(JsonElement root, Lwm2mDataModel model)
    {
        if (root.GetProperty("version").GetInt32() != FormatVersion)
        {
            throw new FormatException("Unknown state file version.");
        }

        var result = new List<(Lwm2mObjectEnabler, List<(int, List<Lwm2mResource>)>)>();
        foreach (var o in root.GetProperty("objects").EnumerateArray())
        {
            var enabler = model.GetEnabler(o.GetProperty("id").GetInt32());
            if (enabler is not { Persistent: true })
            {
                continue;
            }

            var instances = new List<(int, List<Lwm2mResource>)>();
            foreach (var i in o.GetProperty("instances").EnumerateArray())
            {
                var values = new List<Lwm2mResource>();
                foreach (var r in i.GetProperty("resources").EnumerateArray())
                {
                    int rid = r.GetProperty("id").GetInt32();
                    values.Add(r.TryGetProperty("instances", out var multi)
                        ? Lwm2mResource.Multiple(rid, multi.EnumerateArray().Select(x => new KeyValuePair<int, Lwm2mValue>(x.GetProperty("id").GetInt32(), ReadValue(x))))
                        : Lwm2mResource.Single(rid, ReadValue(r)));
                }

                instances.Add((i.GetProperty("id").GetInt32(), values));
            }

            result.Add((enabler, instances));
        }

        return result;
    }
}
