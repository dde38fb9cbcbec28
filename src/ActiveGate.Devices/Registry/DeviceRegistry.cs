using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using ActiveGate.Devices.Model;

namespace ActiveGate.Devices.Registry;

/// <summary>
/// The devices the gateway knows, persisted so that a restart keeps their identity, kind and
/// relay state (the platform's resources are named after them). Writes are atomic: a temporary
/// file is fsync'd and renamed over the old one, so power loss leaves the old or the new registry.
/// </summary>
public sealed class DeviceRegistry
{
    private readonly string? _path;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DeviceRecord> _devices = new(StringComparer.Ordinal);

    /// <summary>A registry persisted at <paramref name="path"/> (null: in memory only).</summary>
    public DeviceRegistry(string? path)
    {
        _path = path;
        if (path is not null && File.Exists(path))
        {
            Load(path);
        }
    }

    /// <summary>Raised after a device was added or changed (outside the registry's lock).</summary>
    public event EventHandler<DeviceRecord>? Changed;

    /// <summary>Problems met while loading (a corrupt file is set aside, never fatal).</summary>
    public string? LoadProblem { get; private set; }

    public IReadOnlyList<DeviceRecord> Snapshot()
    {
        lock (_gate)
        {
            return _devices.Values.OrderBy(d => d.Id, StringComparer.Ordinal).ToArray();
        }
    }

    public bool TryGet(string id, out DeviceRecord device)
    {
        lock (_gate)
        {
            return _devices.TryGetValue(id, out device!);
        }
    }

    public DeviceRecord? FindByAddress(IPAddress address)
    {
        lock (_gate)
        {
            return _devices.Values.FirstOrDefault(d => d.Address.Equals(address));
        }
    }

    /// <summary>Adds or changes a device under the registry's lock, then persists and raises <see cref="Changed"/>.</summary>
    public DeviceRecord Update(string id, Func<DeviceRecord?, DeviceRecord> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        DeviceRecord updated;
        lock (_gate)
        {
            _devices.TryGetValue(id, out DeviceRecord? existing);
            updated = change(existing);
            _devices[id] = updated;
            Save();
        }

        Changed?.Invoke(this, updated);
        return updated;
    }

    private void Save()
    {
        if (_path is null)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        string temporary = _path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, _devices.Values.Select(PersistedDevice.From).ToArray(), DeviceRegistryJson.Default.PersistedDeviceArray);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
    }

    private void Load(string path)
    {
        try
        {
            PersistedDevice[] devices = JsonSerializer.Deserialize(File.ReadAllBytes(path), DeviceRegistryJson.Default.PersistedDeviceArray) ?? [];
            foreach (PersistedDevice device in devices)
            {
                DeviceRecord record = device.ToRecord();
                _devices[record.Id] = record;
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or NotSupportedException)
        {
            // Keep the evidence and start empty: devices are rediscovered when they speak.
            string aside = path + ".corrupt-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
            File.Move(path, aside, overwrite: true);
            LoadProblem = $"device registry was unreadable ({ex.Message}); moved to {aside}";
        }
    }

    internal sealed record PersistedDevice(
        string Id, string Address, DeviceKind Kind, string? Model, string? Firmware, string? Serial, string? Links,
        DateTimeOffset FirstSeen, DateTimeOffset LastSeen, PersistedChannel[] Channels)
    {
        public static PersistedDevice From(DeviceRecord d) => new(
            d.Id, d.Address.ToString(), d.Kind, d.Model, d.Firmware, d.Serial, d.Links, d.FirstSeen, d.LastSeen,
            d.Channels.Select(c => new PersistedChannel(c.Number, c.RatedCurrentAmperes, c.MeterPath, c.RelayPath, c.QuantityPaths, c.RelayOn, c.SequenceEpoch, c.LastSequence)).ToArray());

        public DeviceRecord ToRecord() => new()
        {
            Id = Id,
            Address = IPAddress.Parse(Address),
            Kind = Kind,
            Model = Model,
            Firmware = Firmware,
            Serial = Serial,
            Links = Links,
            FirstSeen = FirstSeen,
            LastSeen = LastSeen,
            Online = false,
            Channels = Channels.Select(c => new ChannelRecord
            {
                Number = c.Number,
                RatedCurrentAmperes = c.RatedCurrentAmperes,
                MeterPath = c.MeterPath,
                RelayPath = c.RelayPath,
                QuantityPaths = new Dictionary<string, string>(c.QuantityPaths, StringComparer.Ordinal),
                RelayOn = c.RelayOn,
                SequenceEpoch = c.SequenceEpoch,
                LastSequence = c.LastSequence,
            }).ToList(),
        };
    }

    internal sealed record PersistedChannel(int Number, double RatedCurrentAmperes, string? MeterPath, string? RelayPath, Dictionary<string, string> QuantityPaths, bool? RelayOn, int SequenceEpoch, long LastSequence);
}

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DeviceRegistry.PersistedDevice[]))]
internal sealed partial class DeviceRegistryJson : JsonSerializerContext;
