#!/usr/bin/env nextflow
/*
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    tkiseq: RNA-seq of B-ALL against ex vivo TKI response
~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
    Wiring only. Every stage is a `tkiseq <stage>` call (modules/local/<stage>/main.nf),
    the same subcommands the local runner (`tkiseq run`) calls.
*/

include { VALIDATE          } from './modules/local/validate'
include { STAR_INDEX        } from './modules/local/star_index'
include { STAR_ALIGN        } from './modules/local/star_align'
include { COUNTS            } from './modules/local/counts'
include { VARIANTS_CALL     } from './modules/local/variants_call'
include { VARIANTS_FILTER   } from './modules/local/variants_filter'
include { VARIANTS_ANNOTATE } from './modules/local/variants_annotate'
include { VARIANTS_COHORT   } from './modules/local/variants_cohort'
include { FUSIONS           } from './modules/local/fusions'
include { FUSIONS_COHORT    } from './modules/local/fusions_cohort'
include { SPLICE_LESIONS    } from './modules/local/splice_lesions'
include { DE                } from './modules/local/de'
include { GSEA              } from './modules/local/gsea'

workflow TKISEQ {
    take:
    samplesheet // path: samplesheet.csv
    phenotypes  // path: phenotypes.csv
    cnv         // path: cnv.csv, or [] when not given
    fasta       // path: genome.fa
    gtf         // path: genes.gtf
    fasta_fai   // path: genome.fa.fai, or [] (then made where needed)
    dbsnp       // path: dbsnp.vcf.gz
    dbsnp_tbi   // path: dbsnp.vcf.gz.tbi
    gene_sets   // [ path(gmt), ... ], empty for no enrichment
    star_index  // path: prebuilt STAR index folder, or null to build one

    main:
    ch_versions = channel.empty()

    //
    // Validate the tables once; the valid samplesheet holds absolute paths
    //
    VALIDATE(channel.of([[id: 'inputs'], samplesheet, phenotypes, cnv]))
    ch_versions = ch_versions.mix(VALIDATE.out.versions)

    ch_samples = VALIDATE.out.samplesheet   // [ val(meta), path(samplesheet.valid.csv) ]
        .map { _meta, csv -> csv }
        .splitCsv(header: true)             // [ sample:, fastq_1:, fastq_2:, strandedness:, bam:, vcf:, ... ]
        .filter { row -> row.fastq_1 || row.bam }
        .map { row ->
            def meta = [
                id: row.sample,
                strandedness: row.strandedness ?: 'auto',
                single_end: !row.fastq_2,
                from_bam: !row.fastq_1,
            ]
            [meta, row]
        }                                   // [ val(meta), val(row) ]

    ch_reads = ch_samples.map { meta, row ->
        def reads = row.fastq_1 ? [row.fastq_1, row.fastq_2].findAll { f -> f } : [row.bam]
        [meta, reads.collect { f -> file(f, checkIfExists: true) }]
    }                                       // [ val(meta), [ path(fastq_1), path(fastq_2) ] ] or [ val(meta), [ path(bam) ] ]

    ch_user_vcf = ch_samples.map { meta, row ->
        def vcf = row.vcf ? file(row.vcf, checkIfExists: true) : []
        def index = row.vcf ? ['tbi', 'csi'].collect { ext -> file("${row.vcf}.${ext}") }.find { f -> f.exists() } : null
        [meta, vcf, index ?: []]
    }                                       // [ val(meta), path(vcf), path(tbi) ], or [ val(meta), [], [] ] without a user VCF

    //
    // STAR index: reuse the given one, or build it once
    //
    ch_gtf = channel.value([[id: gtf.baseName], gtf]) // [ val(meta), path(gtf) ]
    if (star_index) {
        ch_star_index = channel.value([[id: 'star_index'], star_index])
    }
    else {
        STAR_INDEX(channel.value([[id: 'star_index'], fasta, gtf]))
        ch_star_index = STAR_INDEX.out.index
        ch_versions = ch_versions.mix(STAR_INDEX.out.versions)
    }                                       // [ val(meta), path(star_index) ]

    //
    // Align every sample (a BAM-only row is realigned): BAM, junctions, chimeric junctions,
    // gene counts, strandedness
    //
    STAR_ALIGN(ch_reads, ch_star_index)
    ch_versions = ch_versions.mix(STAR_ALIGN.out.versions.first())

    //
    // Cohort count matrix and AnnData
    //
    ch_counts_input = STAR_ALIGN.out.reads_per_gene
        .join(STAR_ALIGN.out.strandedness)  // [ val(meta), path(ReadsPerGene.out.tab), path(strandedness.json) ]
        .toSortedList { a, b -> a[0].id <=> b[0].id }
        .map { rows -> [[id: 'cohort'], rows.collect { row -> row[1] }, rows.collect { row -> row[2] }] }
                                            // [ val(meta), [ path(ReadsPerGene.out.tab), ... ], [ path(strandedness.json), ... ] ]
    COUNTS(ch_counts_input, ch_gtf, VALIDATE.out.phenotypes)
    ch_versions = ch_versions.mix(COUNTS.out.versions)

    ch_fasta = channel.value([[id: fasta.baseName], fasta, fasta_fai]) // [ val(meta), path(fasta), path(fai) ]
    ch_dbsnp = channel.value([[id: 'dbsnp'], dbsnp, dbsnp_tbi])        // [ val(meta), path(vcf), path(tbi) ]

    //
    // Fusions from chimeric and spliced junctions; exon-deletion junctions
    //
    ch_fusion_input = STAR_ALIGN.out.chimeric
        .join(STAR_ALIGN.out.junctions)
        .join(STAR_ALIGN.out.log_final)
        .join(STAR_ALIGN.out.bam)                   // [ val(meta), path(chimeric), path(sj), path(log_final), path(bam), path(bai) ]
    FUSIONS(ch_fusion_input, ch_fasta, ch_gtf)
    FUSIONS_COHORT(
        FUSIONS.out.fusions
            .map { _meta, tsv -> tsv }
            .toSortedList { a, b -> a.name <=> b.name }
            .map { tables -> [[id: 'cohort'], tables] }
    )                                               // [ val(meta), [ path(fusions.tsv), ... ] ]
    SPLICE_LESIONS(STAR_ALIGN.out.junctions, ch_gtf)
    ch_versions = ch_versions
        .mix(FUSIONS.out.versions.first())
        .mix(FUSIONS_COHORT.out.versions)
        .mix(SPLICE_LESIONS.out.versions.first())

    //
    // Variants: allele counts at exonic sites, the study filter (with the sample's fusion
    // breakpoints: calls they explain are flagged), annotation
    //
    VARIANTS_CALL(
        STAR_ALIGN.out.bam.join(ch_user_vcf),      // [ val(meta), path(bam), path(bai), path(vcf), path(tbi) ]
        ch_fasta,
        ch_gtf,
    )
    VARIANTS_FILTER(
        VARIANTS_CALL.out.vcf.join(FUSIONS.out.fusions), // [ val(meta), path(vcf), path(tbi), path(fusions.tsv) ]
        ch_dbsnp,
        ch_fasta,
    )
    VARIANTS_ANNOTATE(VARIANTS_FILTER.out.all, ch_fasta, ch_gtf)
    VARIANTS_COHORT(
        VARIANTS_ANNOTATE.out.tsv                   // [ val(meta), path(variants.tsv) ]
            .map { _meta, tsv -> tsv }
            .toSortedList { a, b -> a.name <=> b.name }
            .map { tables -> [[id: 'cohort'], tables] }
    )                                               // [ val(meta), [ path(variants.tsv), ... ] ]
    ch_versions = ch_versions
        .mix(VARIANTS_CALL.out.versions.first())
        .mix(VARIANTS_FILTER.out.versions.first())
        .mix(VARIANTS_ANNOTATE.out.versions.first())
        .mix(VARIANTS_COHORT.out.versions)

    //
    // Differential expression against each phenotype validate chose (tested_phenotypes.txt),
    // then GSEA
    //
    ch_phenotype_names = VALIDATE.out.tested_phenotypes
        .map { _meta, txt -> txt }
        .splitText()
        .map { line -> line.trim() }
        .filter { name -> name != '' }              // val(phenotype)
    ch_de_input = COUNTS.out.h5ad
        .combine(ch_phenotype_names)
        .map { _meta, h5ad, phenotype -> [[id: phenotype], h5ad, phenotype] }
                                                    // [ val(meta), path(cohort.h5ad), val(phenotype) ]
    DE(ch_de_input, VALIDATE.out.phenotypes.first())
    ch_versions = ch_versions.mix(DE.out.versions.first())
    if (gene_sets) {
        GSEA(DE.out.table, channel.value([[id: 'gene_sets'], gene_sets])) // [ val(meta), path(de_<phenotype>.tsv) ]
        ch_versions = ch_versions.mix(GSEA.out.versions.first())
    }

    emit:
    samplesheet    = VALIDATE.out.samplesheet  // [ val(meta), path(samplesheet.valid.csv) ]
    bam            = STAR_ALIGN.out.bam        // [ val(meta), path(bam), path(bai) ]
    junctions      = STAR_ALIGN.out.junctions  // [ val(meta), path(SJ.out.tab) ]
    chimeric       = STAR_ALIGN.out.chimeric   // [ val(meta), path(Chimeric.out.junction) ]
    reads_per_gene = STAR_ALIGN.out.reads_per_gene // [ val(meta), path(ReadsPerGene.out.tab) ]
    counts         = COUNTS.out.counts         // [ val(meta), path(counts.tsv) ]
    h5ad           = COUNTS.out.h5ad           // [ val(meta), path(cohort.h5ad) ]
    variants       = VARIANTS_COHORT.out.variants // [ val(meta), path(cohort_variants.tsv) ]
    fusions        = FUSIONS_COHORT.out.fusions   // [ val(meta), path(cohort_fusions.tsv) ]
    de             = DE.out.table              // [ val(meta), path(de_<phenotype>.tsv) ]
    versions       = ch_versions               // path(versions.yml)
}

workflow {
    main:
    TKISEQ(
        file(params.input, checkIfExists: true),
        file(params.phenotypes, checkIfExists: true),
        params.cnv ? file(params.cnv, checkIfExists: true) : [],
        file(params.fasta, checkIfExists: true),
        file(params.gtf, checkIfExists: true),
        file("${params.fasta}.fai").exists() ? file("${params.fasta}.fai") : [],
        file(params.dbsnp, checkIfExists: true),
        file("${params.dbsnp}.tbi", checkIfExists: true),
        params.gene_sets ? params.gene_sets.tokenize(',').collect { f -> file(f, checkIfExists: true) } : [],
        params.star_index ? file(params.star_index, checkIfExists: true) : null,
    )

    TKISEQ.out.versions
        .unique()
        .collectFile(name: 'software_versions.yml', storeDir: "${params.outdir}/pipeline_info", sort: true)
}
