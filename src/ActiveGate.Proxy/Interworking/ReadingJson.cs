using System.Buffers;
using System.Text.Json;
using ActiveGate.OneM2m.Resources;

namespace ActiveGate.Proxy.Interworking;

/// <summary>Builds request bodies for readings without intermediate objects (the hot path of the proxy).</summary>
internal static class ReadingJson
{
    /// <summary>
    /// <c>{"m2m:cin":{"rn":"plug-x-ch1-7","cnf":"application/json:0","con":"{\"seq\":7,\"ts\":\"…\",\"ch\":1,\"p_W\":…}"}}</c>.
    /// <c>con</c> is a string (TS-0004); plain JSON inside, encoding 0.
    /// </summary>
    public static byte[] ContentInstance(string resourceName, DeviceReading reading)
    {
        var inner = new ArrayBufferWriter<byte>(160);
        using (var w = new Utf8JsonWriter(inner))
        {
            WriteReadingObject(w, reading);
        }

        var outer = new ArrayBufferWriter<byte>(inner.WrittenCount + 96);
        using (var w = new Utf8JsonWriter(outer))
        {
            w.WriteStartObject();
            w.WriteStartObject(OneM2m.Resources.ContentInstance.RootKey);
            w.WriteString("rn", resourceName);
            w.WriteString("cnf", "application/json:0");
            w.WriteString("con", inner.WrittenSpan);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return outer.WrittenSpan.ToArray();
    }

    public static void WriteReadingObject(Utf8JsonWriter w, DeviceReading r)
    {
        w.WriteStartObject();
        w.WriteNumber("seq", r.Sequence);
        // Fractions (TS-0004 allows them): at sub-second reporting periods the readings of a channel must not share a time.
        w.WriteString("ts", OneM2mTimestamp.FormatWithFraction(r.Timestamp));
        w.WriteNumber("ch", r.Channel);
        if (r.DeviceSequence is { } deviceSequence)
        {
            w.WriteNumber("epoch", r.Epoch);
            w.WriteNumber("dseq", deviceSequence);
        }

        WriteOptional(w, "p_W", r.PowerW);
        WriteOptional(w, "e_Wh", r.EnergyWh);
        WriteOptional(w, "i_A", r.CurrentA);
        WriteOptional(w, "u_V", r.VoltageV);
        if (r.RelayOn is { } relay)
        {
            w.WriteBoolean("relay", relay);
        }

        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(name, v);
        }
    }

    /// <summary><c>{"cod:eneCn":{"abECn":kWh,"power":W,"volte":V,"currt":A}}</c> (TS-0023 energyConsumption, abECn in kWh).</summary>
    public static byte[] EnergyConsumptionUpdate(SdtProfile sdt, DeviceReading r)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject(sdt.EnergyConsumptionKey);
            WriteOptional(w, "abECn", r.EnergyWh / 1000.0);
            WriteOptional(w, "power", r.PowerW);
            WriteOptional(w, "volte", r.VoltageV);
            WriteOptional(w, "currt", r.CurrentA);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A flexContainer CREATE body: root key, rn, cnd and the given data points.</summary>
    public static byte[] FlexContainer(string rootKey, string resourceName, string cnd, params (string Name, object Value)[] dataPoints)
    {
        var buffer = new ArrayBufferWriter<byte>(160);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject(rootKey);
            if (resourceName.Length > 0)
            {
                w.WriteString("rn", resourceName);
            }

            if (cnd.Length > 0)
            {
                w.WriteString("cnd", cnd);
            }

            foreach ((string name, object value) in dataPoints)
            {
                switch (value)
                {
                    case bool b:
                        w.WriteBoolean(name, b);
                        break;
                    case double d:
                        w.WriteNumber(name, d);
                        break;
                    case string s:
                        w.WriteString(name, s);
                        break;
                    default:
                        throw new ArgumentException($"unsupported data point type {value.GetType()}", nameof(dataPoints));
                }
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Interprets a command contentInstance: <c>{"relay":true}</c>, <c>{"on":…}</c>, <c>{"state":…}</c>, SenML-ish
    /// <c>{"v":1}</c> or <c>[{"v":0}]</c>, or the strings ON/OFF/true/false/1/0 (OpenMTC IPE style). Never throws.
    /// </summary>
    public static bool TryParseSwitchCommand(string? content, out bool on)
    {
        on = false;
        if (string.IsNullOrWhiteSpace(content))
        {
            return false;
        }

        string trimmed = content.Trim().Trim('"');
        switch (trimmed.ToUpperInvariant())
        {
            case "ON" or "TRUE" or "1":
                on = true;
                return true;
            case "OFF" or "FALSE" or "0":
                return true;
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(content);
            JsonElement root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0)
            {
                root = root[0];
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            foreach (string name in (string[])["relay", "on", "state", "powSe", "v", "vb"])
            {
                if (root.TryGetProperty(name, out JsonElement value))
                {
                    return TryBool(value, out on);
                }
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }

    internal static bool TryBool(JsonElement value, out bool on)
    {
        on = false;
        switch (value.ValueKind)
        {
            case JsonValueKind.True:
                on = true;
                return true;
            case JsonValueKind.False:
                return true;
            case JsonValueKind.Number when value.TryGetDouble(out double d):
                on = d != 0;
                return true;
            case JsonValueKind.String:
                return TryParseSwitchCommand(value.GetString(), out on) && value.GetString()!.Trim()[0] != '{';
            default:
                return false;
        }
    }
}
