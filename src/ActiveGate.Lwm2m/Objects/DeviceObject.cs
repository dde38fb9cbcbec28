using System.Globalization;
using System.Reflection;
using ActiveGate.Lwm2m.Model;

namespace ActiveGate.Lwm2m.Objects;

/// <summary>What the Device object reports about the gateway.</summary>
public sealed record DeviceInfo
{
    public string Manufacturer { get; init; } = "ActiveGate";
    public string ModelNumber { get; init; } = "ActiveGate gateway";
    public string SerialNumber { get; init; } = Environment.MachineName;

    /// <summary>Firmware version; defaults to the informational version of the entry (or this) assembly.</summary>
    public string FirmwareVersion { get; init; } = AssemblyVersion(Assembly.GetEntryAssembly() ?? typeof(DeviceInfo).Assembly);
    public string? SoftwareVersion { get; init; }
    public string? HardwareVersion { get; init; }
    public string DeviceType { get; init; } = "Gateway";

    /// <summary>/3/0/16 Supported Binding and Modes.</summary>
    public string SupportedBindings { get; init; } = "UQ";

    public static string AssemblyVersion(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var info = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (!string.IsNullOrEmpty(info))
        {
            // Drop the "+commit" source-link suffix: servers compare versions as text.
            int plus = info.IndexOf('+', StringComparison.Ordinal);
            return plus > 0 ? info[..plus] : info;
        }

        return assembly.GetName().Version?.ToString() ?? "0.0.0";
    }
}

/// <summary>Supplies memory figures (KiB) for /3/0/10 and /3/0/21; the default reads /proc/meminfo.</summary>
public interface IMemoryInfoProvider
{
    (long FreeKiB, long TotalKiB)? GetMemory();
}

/// <summary>Reads MemAvailable/MemTotal from /proc/meminfo, falling back to the GC's view.</summary>
public sealed class SystemMemoryInfoProvider : IMemoryInfoProvider
{
    public (long FreeKiB, long TotalKiB)? GetMemory()
    {
        try
        {
            long? free = null, total = null;
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    free = ParseKiB(line);
                }
                else if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    total = ParseKiB(line);
                }
            }

            if (free is long f && total is long t)
            {
                return (f, t);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        var gc = GC.GetGCMemoryInfo();
        return ((gc.TotalAvailableMemoryBytes - gc.MemoryLoadBytes) / 1024, gc.TotalAvailableMemoryBytes / 1024);
    }

    private static long? ParseKiB(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : null;
    }
}

/// <summary>
/// Device object (/3), single instance. Reboot (/3/0/4) and Factory Reset (/3/0/5) do not act
/// themselves: they raise <see cref="DeviceObject.RebootRequested"/> / <see cref="DeviceObject.FactoryResetRequested"/>
/// and the host decides (after the 2.04 has gone out). Current Time (/3/0/13) is the clock plus an
/// offset the server may write; error codes are kept here and can be raised by any part of the agent.
/// </summary>
public sealed class DeviceObject : Lwm2mObjectEnabler
{
    public const int Manufacturer = 0;
    public const int ModelNumber = 1;
    public const int SerialNumber = 2;
    public const int FirmwareVersion = 3;
    public const int Reboot = 4;
    public const int FactoryReset = 5;
    public const int MemoryFree = 10;
    public const int ErrorCode = 11;
    public const int ResetErrorCode = 12;
    public const int CurrentTime = 13;
    public const int UtcOffset = 14;
    public const int Timezone = 15;
    public const int SupportedBindingAndModes = 16;
    public const int DeviceType = 17;
    public const int HardwareVersion = 18;
    public const int SoftwareVersion = 19;
    public const int MemoryTotal = 21;

    private readonly DeviceInstance _instance;

    public DeviceObject(DeviceInfo info, TimeProvider time, IMemoryInfoProvider? memory = null)
        : base(DdfLoader.LoadEmbedded(3))
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(time);
        _instance = AddInstance(0, new DeviceInstance(this, info, time, memory ?? new SystemMemoryInfoProvider()));
    }

    /// <summary>The server executed /3/0/4. The host should restart the agent (or the board).</summary>
    public event EventHandler? RebootRequested;

    /// <summary>The server executed /3/0/5. The host should wipe state and restart.</summary>
    public event EventHandler? FactoryResetRequested;

    /// <summary>Adds an error code (1 low battery … 8 out of storage …, Core TS E.4); 0 means "no error".</summary>
    public void ReportError(int code) => _instance.AddError(code);

    public void ClearErrors() => _instance.ClearErrors();

    public TimeSpan ClockOffset => _instance.ClockOffset;

    private sealed class DeviceInstance : Lwm2mInstance
    {
        private readonly DeviceObject _owner;
        private readonly TimeProvider _time;
        private readonly Lock _errorsGate = new();
        private readonly List<int> _errors = [];
        private long _clockOffsetTicks;

        public DeviceInstance(DeviceObject owner, DeviceInfo info, TimeProvider time, IMemoryInfoProvider memory)
        {
            _owner = owner;
            _time = time;
            SetValue(Manufacturer, Lwm2mValue.FromString(info.Manufacturer));
            SetValue(ModelNumber, Lwm2mValue.FromString(info.ModelNumber));
            SetValue(SerialNumber, Lwm2mValue.FromString(info.SerialNumber));
            SetValue(FirmwareVersion, Lwm2mValue.FromString(info.FirmwareVersion));
            SetValue(SupportedBindingAndModes, Lwm2mValue.FromString(info.SupportedBindings));
            SetValue(DeviceType, Lwm2mValue.FromString(info.DeviceType));
            if (info.HardwareVersion is { } hw)
            {
                SetValue(HardwareVersion, Lwm2mValue.FromString(hw));
            }

            SetValue(SoftwareVersion, Lwm2mValue.FromString(info.SoftwareVersion ?? info.FirmwareVersion));
            var local = TimeZoneInfo.Local;
            SetValue(UtcOffset, Lwm2mValue.FromString(FormatOffset(local.GetUtcOffset(time.GetUtcNow()))));
            SetValue(Timezone, Lwm2mValue.FromString(local.Id));
            BindValue(CurrentTime, () => Lwm2mValue.FromTime(_time.GetUtcNow() + ClockOffset));
            BindValues(ErrorCode, () =>
            {
                lock (_errorsGate)
                {
                    return _errors.Count == 0 ? [Lwm2mValue.FromInteger(0)] : _errors.Select(e => Lwm2mValue.FromInteger(e)).ToArray();
                }
            });
            BindValue(MemoryFree, () => Lwm2mValue.FromInteger(memory.GetMemory()?.FreeKiB ?? 0));
            BindValue(MemoryTotal, () => Lwm2mValue.FromInteger(memory.GetMemory()?.TotalKiB ?? 0));
            BindExecute(Reboot, _ => Raise(_owner.RebootRequested));
            BindExecute(FactoryReset, _ => Raise(_owner.FactoryResetRequested));
            BindExecute(ResetErrorCode, _ =>
            {
                ClearErrors();
                return Lwm2mStatus.Changed;
            });
        }

        public TimeSpan ClockOffset => TimeSpan.FromTicks(Interlocked.Read(ref _clockOffsetTicks));

        public void AddError(int code)
        {
            lock (_errorsGate)
            {
                if (code == 0 || _errors.Contains(code))
                {
                    return;
                }

                _errors.Add(code);
            }

            NotifyChanged(ErrorCode);
        }

        public void ClearErrors()
        {
            lock (_errorsGate)
            {
                _errors.Clear();
            }

            NotifyChanged(ErrorCode);
        }

        protected internal override string? Validate(Lwm2mInstanceView proposed, Lwm2mOrigin origin)
        {
            if (proposed.GetString(UtcOffset) is { } offset && !TryParseOffset(offset, out _))
            {
                return "UTC Offset must look like +02:00 or -05:30 (ISO 8601).";
            }

            return null;
        }

        protected internal override void OnCommitted(Lwm2mInstanceView committed, IReadOnlyCollection<int> changedResourceIds, Lwm2mOrigin origin)
        {
            // A written Current Time becomes an offset to the system clock; the stored copy is dropped
            // because the computed value is what reads return.
            if (changedResourceIds.Contains(CurrentTime) && committed.Resources.TryGetValue(CurrentTime, out _) && StoredValues.TryGetValue(CurrentTime, out var written))
            {
                var offset = written.Value.AsTime() - _time.GetUtcNow();
                Interlocked.Exchange(ref _clockOffsetTicks, offset.Ticks);
            }
        }

        private Lwm2mStatus Raise(EventHandler? handler)
        {
            handler?.Invoke(_owner, EventArgs.Empty);
            return Lwm2mStatus.Changed;
        }

        private static string FormatOffset(TimeSpan offset) =>
            (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture);

        internal static bool TryParseOffset(string text, out TimeSpan offset)
        {
            offset = default;
            if (text.StartsWith("UTC", StringComparison.Ordinal))
            {
                text = text[3..];
            }

            if (text.Length is not (3 or 5 or 6) || text[0] is not ('+' or '-'))
            {
                return false;
            }

            string body = text[1..].Replace(":", string.Empty, StringComparison.Ordinal);
            if (body.Length is not (2 or 4) || !int.TryParse(body.AsSpan(0, 2), NumberStyles.None, CultureInfo.InvariantCulture, out int h)
                || h > 14)
            {
                return false;
            }

            int m = 0;
            if (body.Length == 4 && (!int.TryParse(body.AsSpan(2, 2), NumberStyles.None, CultureInfo.InvariantCulture, out m) || m > 59))
            {
                return false;
            }

            offset = new TimeSpan(h, m, 0) * (text[0] == '-' ? -1 : 1);
            return true;
        }
    }
}
