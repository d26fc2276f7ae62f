#Requires -Version 7.4
<#
.SYNOPSIS
    Start-PhotoGridService: a 64-photo job through the HTTP API against the same pipeline in-process, and the
    latency of status requests under 50 concurrent clients.

.DESCRIPTION
    Both cases make the same three outputs from the same -Count photos (the first 64 of -DataPath) with the
    same defaults: a 64 px JPEG grid, its layout JSON and the viewer.
      - In-process: Get-ChildItem | Get-ImageEmbedding | Invoke-Tsne | Resolve-GridAssignment, then
        Export-PhotoGrid grid.jpg -LayoutPath layout.json and Export-PhotoGrid viewer.html. Get-ImageEmbedding
        loads the model on every call, as a script does.
      - Service: POST /v2/visualizations, poll GET every -PollMilliseconds until DONE, GET the image. The
        service keeps the model loaded between jobs.
    The cases alternate round by round (-Runs rounds after one untimed warm-up of each), in this one pwsh
    process; the service runs here too. The table gives medians; the overhead is the service's median minus
    the in-process median (negative when the loaded model saves more than HTTP and polling cost).

    Then -Clients concurrent clients (one HttpClient each, keep-alive) send -RequestsPerClient status GETs
    each, back to back, once with the service idle and once while a job runs (using every core); p50, p99 and
    the maximum latency of all requests, and the requests per second.

    Stop-PhotoGridService is timed too, with a job running (the issue asks for under a second).

    The machine's load average is printed before and after: other processes share the cores.

.EXAMPLE
    pwsh bench/service/Invoke-ServiceBenchmark.ps1 -DataPath ../shared/data/imagenet-sample
#>
[CmdletBinding()]
param(
    # A folder of photos; by default the repository's samples/photos. The figures in bench/README.md use
    # ../shared/data/imagenet-sample (JPEGs of about 500 x 375).
    [string] $DataPath,
    [ValidateRange(2, 10000)] [int] $Count = 64,
    [ValidateRange(1, 100)] [int] $Runs = 5,
    [ValidateRange(1, 1000)] [int] $PollMilliseconds = 50,
    [ValidateRange(1, 1000)] [int] $Clients = 50,
    [ValidateRange(1, 10000)] [int] $RequestsPerClient = 40
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot '../BenchStatistics.psm1') -Force

$repositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
if (-not (Test-Path -LiteralPath (Join-Path $repositoryRoot 'bin/GridTsne.dll'))) { throw 'Build first: pwsh ./build.ps1' }
if (-not $DataPath) { $DataPath = Join-Path $repositoryRoot 'samples/photos' }
Import-Module (Join-Path $repositoryRoot 'GridTsne.psd1')

Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading.Tasks;

public sealed class StatusLoadResult
{
    public double[] Latencies;
    public int Failures;
    public double Seconds;
}

public static class StatusLoad
{
    // Each client sends its requests back to back; returns every latency in milliseconds and the failures.
    public static StatusLoadResult Run(string uri, string key, int clients, int requests)
    {
        var latencies = new List<double>[clients];
        int failures = 0;
        var wall = Stopwatch.StartNew();
        var tasks = new Task[clients];
        for (int c = 0; c < clients; c++)
        {
            int client = c;
            latencies[client] = new List<double>(requests);
            tasks[client] = Task.Run(async () =>
            {
                using var http = new HttpClient();
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Key", key);
                for (int i = 0; i < requests; i++)
                {
                    var clock = Stopwatch.StartNew();
                    using HttpResponseMessage response = await http.GetAsync(uri);
                    await response.Content.ReadAsByteArrayAsync();
                    latencies[client].Add(clock.Elapsed.TotalMilliseconds);
                    if (!response.IsSuccessStatusCode) System.Threading.Interlocked.Increment(ref failures);
                }
            });
        }
        Task.WaitAll(tasks);
        var all = new List<double>();
        foreach (var list in latencies) all.AddRange(list);
        return new StatusLoadResult { Latencies = all.ToArray(), Failures = failures, Seconds = wall.Elapsed.TotalSeconds };
    }
}
'@

function Get-Percentile([double[]] $Sorted, [double] $P) { $Sorted[[math]::Min($Sorted.Count - 1, [int][math]::Ceiling($P / 100 * $Sorted.Count) - 1)] }

$work = Join-Path ([IO.Path]::GetTempPath()) ('gridtsne-service-bench-' + [guid]::NewGuid().ToString('N'))
$photos = New-Item -ItemType Directory -Path (Join-Path $work 'root/photos')
Get-ChildItem -LiteralPath $DataPath -File | Sort-Object Name | Select-Object -First $Count | Copy-Item -Destination $photos.FullName
$photoCount = (Get-ChildItem -LiteralPath $photos.FullName -File).Count

$service = Start-PhotoGridService -Root (Join-Path $work 'root') -StatePath (Join-Path $work 'state') -Port 0 -QueueLimit 1000
$headers = @{ Authorization = "Key $($service.Key)" }
$api = $service.Url + 'v2/visualizations'
$body = @{ folder = $photos.FullName } | ConvertTo-Json

function Invoke-InProcess([int] $Round) {
    $out = New-Item -ItemType Directory -Path (Join-Path $work "inprocess-$Round") -Force
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $cells = Get-ChildItem -LiteralPath $photos.FullName -File | Get-ImageEmbedding | Invoke-Tsne -WarningAction SilentlyContinue | Resolve-GridAssignment
    $cells | Export-PhotoGrid (Join-Path $out 'grid.jpg') -LayoutPath (Join-Path $out 'layout.json')
    $cells | Export-PhotoGrid (Join-Path $out 'viewer.html') -Label { Split-Path $_.Path -Leaf }
    $clock.Elapsed.TotalSeconds
}

function Invoke-ThroughService([int] $Round) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $job = (Invoke-RestMethod -Method Post -Uri $api -Headers $headers -Body $body -ContentType application/json).output
    do {
        Start-Sleep -Milliseconds $PollMilliseconds
        $job = (Invoke-RestMethod -Uri $job.url -Headers $headers).output
    } while ($job.status.code -in 'PENDING', 'RUNNING')
    if ($job.status.code -ne 'DONE') { throw "The job failed: $($job.status.description)" }
    Invoke-WebRequest -Uri $job.data.image.url -Headers $headers -OutFile (Join-Path $work "service-$Round.jpg")
    $seconds = $clock.Elapsed.TotalSeconds
    Invoke-RestMethod -Method Delete -Uri $job.url -Headers $headers | Out-Null
    # The pipeline's own time inside the service, from the job's timestamps.
    [pscustomobject]@{ Seconds = $seconds; Running = ([DateTimeOffset]$job.finished_at - [DateTimeOffset]$job.started_at).TotalSeconds }
}

try {
    $loadBefore = Get-LoadAverage
    Write-Host "Photos: $photoCount from $DataPath; $([Environment]::ProcessorCount) cores; load average before: $loadBefore"
    Invoke-InProcess 0 | Out-Null
    Invoke-ThroughService 0 | Out-Null
    $inProcess = [Collections.Generic.List[double]]::new()
    $throughService = [Collections.Generic.List[double]]::new()
    $serviceRunning = [Collections.Generic.List[double]]::new()
    for ($round = 1; $round -le $Runs; $round++) {
        # Alternate which case goes first, so that a slow spell hits both alike.
        if ($round % 2) { $inProcess.Add((Invoke-InProcess $round)); $served = Invoke-ThroughService $round }
        else { $served = Invoke-ThroughService $round; $inProcess.Add((Invoke-InProcess $round)) }
        $throughService.Add($served.Seconds)
        $serviceRunning.Add($served.Running)
        Write-Host ('round {0}: in-process {1:0.00} s, service {2:0.00} s ({3:0.00} s of it RUNNING) (load {4})' -f $round, $inProcess[-1], $served.Seconds, $served.Running, (Get-LoadAverage))
    }
    $medianIn = Get-Median $inProcess
    $medianService = Get-Median $throughService
    $medianRunning = Get-Median $serviceRunning

    $idle = [StatusLoad]::Run($api, $service.Key, $Clients, $RequestsPerClient)
    $busyJob = (Invoke-RestMethod -Method Post -Uri $api -Headers $headers -Body $body -ContentType application/json).output
    do { $state = (Invoke-RestMethod -Uri $busyJob.url -Headers $headers).output } while ($state.status.code -eq 'PENDING')
    $busy = [StatusLoad]::Run($busyJob.url, $service.Key, $Clients, $RequestsPerClient)
    $busyState = (Invoke-RestMethod -Uri $busyJob.url -Headers $headers).output.status.code

    # Stop while a job runs.
    $stopJob = (Invoke-RestMethod -Method Post -Uri $api -Headers $headers -Body $body -ContentType application/json).output
    do { $state = (Invoke-RestMethod -Uri $stopJob.url -Headers $headers).output } while ($state.status.code -ne 'RUNNING' -and $state.status.code -ne 'DONE' -and $state.status.code -ne 'FAILED')
    $stopClock = [Diagnostics.Stopwatch]::StartNew()
    $service | Stop-PhotoGridService
    $stopSeconds = $stopClock.Elapsed.TotalSeconds
    $loadAfter = Get-LoadAverage

    Write-Host ''
    Write-Host ('{0}-photo job, median of {1} (in-process / service, alternating):' -f $photoCount, $Runs)
    Write-Host ('  in-process pipeline  {0,6:0.00} s' -f $medianIn)
    Write-Host ('  through the service  {0,6:0.00} s   overhead {1:+0.00;-0.00} s ({2:+0;-0} %), polling every {3} ms' -f $medianService, ($medianService - $medianIn), (100 * ($medianService - $medianIn) / $medianIn), $PollMilliseconds)
    Write-Host ('  of which RUNNING     {0,6:0.00} s   (the job''s started_at to finished_at)' -f $medianRunning)
    foreach ($case in @(@{ Name = 'idle service'; Result = $idle }, @{ Name = "a job running ($busyState at the end)"; Result = $busy })) {
        $sorted = [double[]]@($case.Result.Latencies | Sort-Object)
        Write-Host ('Status GETs, {0} clients x {1}, {2}: p50 {3:0.0} ms, p99 {4:0.0} ms, max {5:0.0} ms, {6:0} requests/s, {7} failed' -f
            $Clients, $RequestsPerClient, $case.Name, (Get-Percentile $sorted 50), (Get-Percentile $sorted 99), $sorted[-1], ($sorted.Count / $case.Result.Seconds), $case.Result.Failures)
    }
    Write-Host ('Stop-PhotoGridService with a job running: {0:0.000} s' -f $stopSeconds)
    Write-Host "Load average before: $loadBefore; after: $loadAfter"
}
finally {
    Stop-PhotoGridService
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}
