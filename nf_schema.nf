#!/usr/bin/env nextflow
/*
    The same pipeline with the parameters checked by the nf-schema plugin as well, for machines
    that reach Nextflow's plugin registry (main.nf checks them itself and needs no plugin):

        nextflow run . -main-script nf_schema.nf -plugins nf-schema@2.3.0 ...
*/

include { validateParameters } from 'plugin/nf-schema'
include { TKISEQ_PIPELINE    } from './main.nf'

workflow {
    validateParameters()
    TKISEQ_PIPELINE()
}
