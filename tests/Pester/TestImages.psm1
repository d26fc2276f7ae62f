<#
    Real test photos, written by the real ImageSharp (the copy in bin/deps, loaded into this test
    process's default context; the module under test keeps its own copy in its own load context).
#>
$repositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
Add-Type -LiteralPath (Join-Path $repositoryRoot 'bin/deps/SixLabors.ImageSharp.dll')

Add-Type -IgnoreWarnings -CompilerOptions '-nowarn:CS1701' -ReferencedAssemblies (Join-Path $repositoryRoot 'bin/deps/SixLabors.ImageSharp.dll') -TypeDefinition @'
using System;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;

public static class GridTsneTestImages
{
    // pattern: "solid" (one colour), "gradient" (left-to-right blend to the inverse colour),
    // "checker" (8 px checks of the colour and black), "quadrants" (colour, red, green, blue).
    public static void Write(string path, int width, int height, byte r, byte g, byte b, string pattern, int orientation, bool alpha)
    {
        using var image = new Image<Rgba32>(width, height);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            Rgba32 c = new Rgba32(r, g, b, 255);
            switch (pattern)
            {
                case "gradient":
                    float t = width > 1 ? (float)x / (width - 1) : 0f;
                    c = new Rgba32((byte)(r + (255 - 2 * r) * t), (byte)(g + (255 - 2 * g) * t), (byte)(b + (255 - 2 * b) * t), 255);
                    break;
                case "checker":
                    if (((x / 8) + (y / 8)) % 2 == 1) c = new Rgba32(0, 0, 0, 255);
                    break;
                case "quadrants":
                    bool right = x >= width / 2, bottom = y >= height / 2;
                    if (right && !bottom) c = new Rgba32(255, 0, 0, 255);
                    else if (!right && bottom) c = new Rgba32(0, 255, 0, 255);
                    else if (right && bottom) c = new Rgba32(0, 0, 255, 255);
                    break;
            }
            if (alpha) c.A = (byte)(x * 255 / Math.Max(1, width - 1));
            image[x, y] = c;
        }
        if (orientation > 1)
        {
            image.Metadata.ExifProfile = new ExifProfile();
            image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)orientation);
        }
        image.Save(path);
    }

    // Stores an upright photo rotated by 90 degrees clockwise with EXIF orientation 6 ("rotate 90 CW to view"),
    // as a camera held sideways does.
    public static void WriteRotatedWithOrientation6(string uprightSource, string path)
    {
        using var image = Image.Load<Rgba32>(uprightSource);
        image.Mutate(ctx => ctx.Rotate(RotateMode.Rotate270));
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        image.Save(path);
    }

    public static int[] ReadPixel(string path, int x, int y)
    {
        using var image = Image.Load<Rgb24>(path);
        Rgb24 p = image[x, y];
        return new[] { (int)p.R, (int)p.G, (int)p.B };
    }

    public static int[] ReadSize(string path)
    {
        var info = Image.Identify(path);
        return new[] { info.Width, info.Height };
    }

    // Distinct colours, each channel quantised to 32 levels: a blank or single-colour image has 1 or 2.
    public static int CountColors(string path)
    {
        using var image = Image.Load<Rgb24>(path);
        var seen = new bool[32 * 32 * 32];
        int count = 0;
        for (int y = 0; y < image.Height; y++)
        for (int x = 0; x < image.Width; x++)
        {
            Rgb24 p = image[x, y];
            int key = ((p.R >> 3) << 10) | ((p.G >> 3) << 5) | (p.B >> 3);
            if (!seen[key]) { seen[key] = true; count++; }
        }
        return count;
    }

    public static string ReadFormat(string path)
    {
        return Image.DetectFormat(path)?.Name ?? "";
    }
}
'@

function New-TestImage {
    <# Writes a test photo; the format comes from the extension (jpg, png, gif, bmp, tga, tif, webp, pbm). #>
    param(
        [Parameter(Mandatory)] [string] $Path,
        [int] $Width = 64,
        [int] $Height = 64,
        [byte[]] $Color = @(200, 40, 40),
        [ValidateSet('solid', 'gradient', 'checker', 'quadrants')] [string] $Pattern = 'solid',
        [int] $Orientation = 1,
        [switch] $Alpha
    )
    [GridTsneTestImages]::Write($Path, $Width, $Height, $Color[0], $Color[1], $Color[2], $Pattern, $Orientation, $Alpha.IsPresent)
    Get-Item -LiteralPath $Path
}

function New-RotatedTestImage {
    <# Copies an upright photo as a sideways-stored JPEG with EXIF orientation 6. #>
    param([Parameter(Mandatory)] [string] $UprightPath, [Parameter(Mandatory)] [string] $Path)
    [GridTsneTestImages]::WriteRotatedWithOrientation6($UprightPath, $Path)
    Get-Item -LiteralPath $Path
}

function Get-TestImagePixel {
    param([Parameter(Mandatory)] [string] $Path, [int] $X, [int] $Y)
    [GridTsneTestImages]::ReadPixel($Path, $X, $Y)
}

function Get-TestImageSize {
    param([Parameter(Mandatory)] [string] $Path)
    $size = [GridTsneTestImages]::ReadSize($Path)
    [pscustomobject]@{ Width = $size[0]; Height = $size[1] }
}

function Get-TestImageColorCount {
    <# Distinct colours of an image (channels quantised to 32 levels), e.g. to tell a screenshot from a blank one. #>
    param([Parameter(Mandatory)] [string] $Path)
    [GridTsneTestImages]::CountColors($Path)
}

function Get-TestImageFormat {
    param([Parameter(Mandatory)] [string] $Path)
    [GridTsneTestImages]::ReadFormat($Path)
}

function Invoke-ChildPwsh {
    <# Runs a script in a fresh pwsh (a binary module cannot be unloaded) and returns its output lines. #>
    param([Parameter(Mandatory)] [string] $Command, [hashtable] $Environment = @{})
    $pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
    $saved = @{}
    foreach ($name in $Environment.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $Environment[$name])
    }
    try {
        $output = & $pwsh -NoProfile -NonInteractive -Command $Command 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($output | ForEach-Object { "$_" }) }
    }
    finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
}

function Stop-RunningPipeline {
    <#
    Runs a script in a new PowerShell of this process with the module imported, waits until -Until holds for
    it (by default: its first progress record), then stops it as Ctrl+C does. Tells whether it was still
    running when stopped, whether the stop finished within the (generous) timeout, the state it ended in and
    how much output it had written. How fast a stop is belongs to bench/, not to a test.
    #>
    param(
        [Parameter(Mandatory)] [scriptblock] $Script,
        [object[]] $ArgumentList = @(),
        [scriptblock] $Until = { param($Shell, $Output) $Shell.Streams.Progress.Count -gt 0 },
        [int] $TimeoutSeconds = 60)
    $shell = [powershell]::Create()
    try {
        $null = $shell.AddScript("Import-Module '$($script:ModuleManifest.Replace("'", "''"))'; & { $Script } @args")
        foreach ($argument in $ArgumentList) { $null = $shell.AddArgument($argument) }
        $output = [Management.Automation.PSDataCollection[psobject]]::new()
        $running = $shell.BeginInvoke([Management.Automation.PSDataCollection[psobject]]::new(), $output)
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while (-not $running.IsCompleted -and -not (& $Until $shell $output) -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 10
        }
        $wasRunning = -not $running.IsCompleted
        $stopping = $shell.BeginStop($null, $null)
        $stopped = $stopping.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($TimeoutSeconds))
        if ($stopped) { $shell.EndStop($stopping) }
        [pscustomobject]@{
            WasRunning  = $wasRunning
            Stopped     = $stopped
            State       = $shell.InvocationStateInfo.State
            OutputCount = $output.Count
        }
    }
    finally {
        $shell.Dispose()
    }
}

function Get-NuGetPackageRoot {
    <# The NuGet global-packages folder, asked of dotnet as build.ps1 does (it honours NUGET_PACKAGES and NuGet.Config). #>
    $line = & dotnet nuget locals global-packages --list
    if ($LASTEXITCODE -ne 0) { throw 'dotnet nuget locals failed.' }
    ($line -replace '^global-packages:\s*', '').Trim()
}

$script:ModuleManifest = Join-Path $repositoryRoot 'GridTsne.psd1'
function Get-GridTsneManifestPath { $script:ModuleManifest }

Export-ModuleMember -Function New-TestImage, New-RotatedTestImage, Get-TestImagePixel, Get-TestImageSize, Get-TestImageFormat, Get-TestImageColorCount, Invoke-ChildPwsh, Stop-RunningPipeline, Get-NuGetPackageRoot, Get-GridTsneManifestPath
